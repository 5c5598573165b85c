"""The CTC line task survives odd data: lines too narrow for CTC, NaN losses; weights and the
curriculum decide what is drawn."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scriptio.nets.crnn import CRNNConfig
from scriptio.train.ctc_task import CtcLineTask, LineSet, cut_batches, fit_width
from scriptio.train.engine import Engine, EngineConfig
from scriptio.train.lines import new_recognizer

CONFIG = dict(height=32, channels=(8, 8, 16, 16), pools=((2, 2), (2, 2), (2, 1), (2, 1)), hidden=16, layers=1,
              dropout=0.0, conv_dropout=0.0)


def fake_lines(widths_and_texts: list[tuple[int, str]]) -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(0)
    return ([rng.integers(0, 256, (32, width), dtype=np.uint8) for width, _ in widths_and_texts],
            [text for _, text in widths_and_texts])


def make_task(sources: list[LineSet], **options) -> CtcLineTask:
    torch.manual_seed(0)
    recognizer = new_recognizer(["abcdefgh "], CRNNConfig(**CONFIG))
    return CtcLineTask(recognizer, sources, {}, **{"batch_columns": 4 * 1200, "max_batch": 4, "augment": None,
                                                   "half_weights": False, **options})


def test_narrow_lines_are_padded_or_skipped_and_counted():
    # 4-px frames: "abcd" needs 4 frames (16 px); "aabb" needs 6 because of the repeats
    images, texts = fake_lines([(40, "abcd"), (12, "abcd"), (16, "aabb"), (4, "abcdefghabcdefgh")])
    kept = [fit_width(image, [1 + "abcdefgh".index(c) for c in text], 4)[0] for image, text in zip(images, texts)]
    assert kept[0].shape[1] == 40
    assert kept[1].shape[1] >= 16 and kept[2].shape[1] >= 24
    assert kept[3] is None
    assert (kept[1][:, 12:] == 255).all()  # the padding is blank paper
    task = make_task([LineSet("fake", images, texts)])
    assert (task.padded_narrow, task.skipped_narrow, len(task.lines)) == (2, 1, 3)


def test_non_finite_loss_skips_the_step_without_touching_weights(tmp_path):
    images, texts = fake_lines([(64, "abc")] * 4)
    task = make_task([LineSet("fake", images, texts)])
    engine = Engine(task, EngineConfig(max_steps=1), tmp_path, log=lambda m: None)
    before = [p.detach().clone() for p in task.network.parameters()]
    task.loss = lambda network, batch: (torch.tensor(float("nan"), requires_grad=True), {})
    assert engine.step(task.next_batch(engine.generator, 0.0)) is None
    assert engine.state.skipped_nonfinite == 1
    assert all(torch.equal(a, b) for a, b in zip(before, task.network.parameters()))


def test_batches_group_similar_widths_within_their_budget():
    widths = np.sort(np.random.default_rng(0).integers(50, 2000, 200))
    bounds = cut_batches(widths, 8, 8 * 1500)
    assert bounds[0][0] == 0 and bounds[-1][1] == 200
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert all(end - start <= 8 and ((end - start) * widths[end - 1] <= 8 * 1500 or end - start == 1)
               for start, end in bounds)


def test_a_pass_counts_each_source_by_its_weight():
    images, texts = fake_lines([(64, "abc")] * 40)
    even = make_task([LineSet("a", images[:20], texts[:20]), LineSet("b", images[20:], texts[20:])])
    assert even.steps_per_pass() == 10  # 40 lines, 4 per batch
    half = make_task([LineSet("a", images[:20], texts[:20]), LineSet("b", images[20:], texts[20:], weight=0.5)])
    assert half.steps_per_pass() == 8   # 30 lines' worth
    assert half.source_shares(0.0) == pytest.approx([2 / 3, 1 / 3])


def test_curriculum_draws_short_lines_first():
    images, texts = fake_lines([(40 + 10 * i, "abc") for i in range(40)])
    task = make_task([LineSet("a", images, texts)], curriculum=0.5)
    task.progress = 0.0
    early = task.eligible(0, 40)
    task.progress = 0.6
    assert len(early) == 12 and int(task.lines.widths_cpu[early].max()) <= 160
    assert len(task.eligible(0, 40)) == 40
