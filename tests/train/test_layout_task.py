"""The layout task on pages composed from rendered lines: a tiny run lowers its loss, and its
model file segments a page into PAGE XML that validates."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lxml import etree

from scriptio.data.synth import SynthParams, default_font, render_line
from scriptio.data.synth_pages import write_synthetic_pages
from scriptio.export import write_page
from scriptio.layout.targets import TARGETS
from scriptio.models.layout_model import LayoutModel, load_layout_model
from scriptio.nets.unet import UNet, UNetConfig
from scriptio.train.engine import Engine, EngineConfig
from scriptio.train.layout_task import LayoutTask
from tests.conftest import WORDS


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    rng = np.random.default_rng(0)
    font = default_font(34)
    lines = [render_line(" ".join(rng.choice(WORDS, size=5)), font, rng, height=44, params=SynthParams.none())
             for _ in range(30)]
    return write_synthetic_pages(tmp_path_factory.mktemp("pages"), lines, 3, seed=1)


def tiny_model() -> LayoutModel:
    torch.manual_seed(0)
    return LayoutModel(UNet(UNetConfig(channels=(8, 8, 16, 16, 16), outputs=len(TARGETS))), TARGETS)


def test_composed_pages_know_their_lines(pages):
    for page in pages:
        assert len(page.lines) >= 8 and page.regions
        for line in page.lines:
            x0, y0 = line.polygon.min(axis=0)
            x1, y1 = line.polygon.max(axis=0)
            assert x0 <= line.baseline[:, 0].min() and line.baseline[:, 0].max() <= x1
            assert y0 + 0.4 * (y1 - y0) < line.baseline[0, 1] < y1   # below the middle of the line box


def test_a_tiny_training_run_lowers_the_loss(pages, tmp_path):
    model = tiny_model()
    task = LayoutTask(model, pages, [], crop=128, batch_size=4, augment=None, seed=0, log=lambda m: None)
    engine = Engine(task, EngineConfig(lr=1e-2, warmup_steps=5, max_steps=60, eval_every_steps=60, ema_decay=0),
                    tmp_path, log=lambda m: None)
    generator = torch.Generator().manual_seed(0)
    probe = [task.next_batch(generator, 0.0) for _ in range(3)]

    def probe_loss() -> float:
        model.network.eval()
        with torch.no_grad():
            return float(np.mean([float(task.loss(model.network, batch)[0]) for batch in probe]))

    before = probe_loss()
    engine.fit()
    after = probe_loss()
    assert after < 0.6 * before, (before, after)
    saved = load_layout_model(tmp_path / "best.safetensors")
    assert saved.targets == TARGETS and saved.network.config == model.network.config


def test_a_learned_segmentation_exports_valid_page_xml(pages, page_schema):
    """The maps a perfect layout network would give for a composed page, through the learned
    post-processing, into PAGE XML: every line is found and the file validates."""
    from scriptio.layout.learned import build_page
    from scriptio.layout.targets import rasterize

    page = pages[0]
    half = (page.height // 2, page.width // 2)
    maps, _ = rasterize(page.lines, page.regions, half, np.diag([0.5, 0.5, 1.0]), baseline_width=2)
    found = build_page(maps.astype(np.float32), (2.0, 2.0), page.width, page.height, page.image)
    assert len([line for line in found.lines if line.is_text]) == len(page.lines)
    document = etree.fromstring(write_page(found, "page"))
    assert page_schema.validate(document), page_schema.error_log
    namespace = {"p": document.nsmap[None]}
    assert len(document.findall(".//p:TextLine/p:Baseline", namespace)) == len(page.lines)
