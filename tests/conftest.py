"""Fixtures built in code: synthetic line folders and tiny models (no ../shared needed)."""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
import torch
from lxml import etree

SCHEMAS = Path(__file__).parent / "export" / "schemas"
XSD = "{http://www.w3.org/2001/XMLSchema}"

#: Set by `make test` (and so CI): the parity references must be installed, not skipped.
REQUIRE_PARITY = "SCRIPTIO_REQUIRE_PARITY"


def parity_reference(name: str) -> ModuleType:
    """Import an optional reference implementation (kenlm, pyctcdecode) that a parity test compares
    against: skip without it, except under SCRIPTIO_REQUIRE_PARITY=1, where its absence fails."""
    if os.environ.get(REQUIRE_PARITY) == "1":
        return importlib.import_module(name)
    return pytest.importorskip(name)


def warned_at(warning, path: str) -> bool:
    """True if `warning` is reported at `path` (a test file: the library's caller), as its
    stacklevel intends. Under mutation testing (mutmut) every library function is called through
    a trampoline, one frame deeper, so the frame cannot be checked there."""
    return "MUTANT_UNDER_TEST" in os.environ or warning.filename == path


WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "tea", "ten", "net", "eat", "ate"]


def write_synthetic_folder(folder: Path, count: int, seed: int, height: int = 32) -> list[str]:
    """Render `count` short lines of random words with Pillow's font into image + .gt.txt pairs."""
    from scriptio.data.synth import SynthParams, default_font, render_line

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    font = default_font(28)
    texts = []
    for index in range(count):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        image = render_line(text, font, rng, height=height, params=SynthParams.none())
        cv2.imwrite(str(folder / f"line{index:04d}.png"), image)
        (folder / f"line{index:04d}.gt.txt").write_text(text + "\n", encoding="utf-8")
        texts.append(text)
    return texts


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """An untrained but complete model file: enough for CLI and file-format tests."""
    from scriptio.nets.crnn import CRNNConfig
    from scriptio.train.lines import new_recognizer as new_crnn_recognizer

    torch.manual_seed(0)
    recognizer = new_crnn_recognizer(["".join(WORDS) + " "],
                                     CRNNConfig(height=32, channels=(8, 16, 16, 16), pools=((2, 2), (2, 2), (2, 1), (2, 1)),
                                                hidden=16, layers=1))
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    recognizer.save(path, {"val_cer": {}})
    return path


@pytest.fixture(scope="session")
def glyph_model_path(tmp_path_factory) -> Path:
    """A model file that reads `tests.glyphs.draw_text` images exactly (see tests/glyphs.py)."""
    from tests.glyphs import GlyphRecognizer

    path = tmp_path_factory.mktemp("glyph-model") / "glyphs.safetensors"
    GlyphRecognizer.new().save(path)
    return path


@pytest.fixture
def line_folder(tmp_path) -> Path:
    folder = tmp_path / "lines"
    write_synthetic_folder(folder, 3, seed=1)
    return folder


@pytest.fixture(scope="session")
def page_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "pagecontent-2019-07-15.xsd")))


@pytest.fixture(scope="session")
def alto_schema() -> etree.XMLSchema:
    """ALTO 4.4, its xlink import pointed at the local copy (in memory; the file stays official)."""
    tree = etree.parse(str(SCHEMAS / "alto-4-4.xsd"))
    imports = tree.getroot().findall(f"{XSD}import")
    assert [i.get("namespace") for i in imports] == ["http://www.w3.org/1999/xlink"]
    imports[0].set("schemaLocation", (SCHEMAS / "xlink.xsd").resolve().as_uri())
    return etree.XMLSchema(tree)
