"""CTC line recognition as an engine task, and the recipe that trains it from a line pack."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from scriptio.data.augment_batch import BatchAugmentParams
from scriptio.data.dataset import LineCache
from scriptio.data.linepack import write_pack
from scriptio.data.synth import SynthParams, default_font, render_line
from scriptio.image.normalize import DEFAULT_STEPS, extract_line
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.text.codec import Alphabet
from scriptio.train.ctc_task import WIDTH_MULTIPLE, CtcLineTask, LineSet, ctc_frames_needed, fading
from scriptio.train.engine import Engine, EngineConfig
from scriptio.types import LineRecord

WORDS = ["tea", "ten", "net", "eat", "ate", "neat"]
TINY = dict(height=32, channels=(8, 16, 16), pools=((2, 2), (2, 1), (2, 1)), hidden=32, layers=1,
            dropout=0.0, conv_dropout=0.0)


def synthetic(count: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(seed)
    font = default_font(26)
    images, texts = [], []
    for _ in range(count):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 3))))
        raw = render_line(text, font, rng, height=40, params=SynthParams.none())
        images.append(extract_line(raw, None, None, height=32, steps=("contrast", "trim", "resize")))
        texts.append(text)
    return images, texts


def tiny_recognizer(texts: list[str]) -> CtcRecognizer:
    torch.manual_seed(0)
    alphabet = Alphabet.from_texts(texts)
    config = CRNNConfig(**TINY, num_classes=alphabet.num_classes)
    return CtcRecognizer(CRNN(config), alphabet, ("contrast", "trim", "resize"))


def test_frames_needed_counts_a_blank_between_repeats():
    assert ctc_frames_needed([1, 2, 3]) == 3
    assert ctc_frames_needed([1, 1, 2, 2, 2]) == 8


def test_fading_weight_goes_from_start_to_end_then_stays():
    weight = fading(1.0, 0.1, until=0.5)
    assert weight(0.0) == pytest.approx(1.0)
    assert weight(0.25) == pytest.approx(0.55)
    assert weight(0.5) == pytest.approx(0.1) and weight(0.9) == pytest.approx(0.1)


def test_training_lowers_the_ctc_loss_and_dev_cer(tmp_path):
    images, texts = synthetic(24, seed=1)
    recognizer = tiny_recognizer(texts)
    task = CtcLineTask(recognizer, [LineSet("toy", images, texts)], {"toy": (images[:8], texts[:8])},
                       batch_columns=4000, max_batch=8, augment=None)
    engine = Engine(task, EngineConfig(lr=3e-3, warmup_steps=10, max_steps=150, eval_every_steps=150,
                                       ema_decay=0.0), tmp_path, log=lambda m: None)
    generator = torch.Generator().manual_seed(0)
    first = [engine.step(task.next_batch(generator, 0.0))["loss"] for _ in range(5)]
    engine.fit()
    last = [engine.step(task.next_batch(generator, 1.0))["loss"] for _ in range(5)]
    assert np.mean(last) < 0.5 * np.mean(first)
    assert engine.state.best_score < 0.5  # greedy CER on the dev lines
    model = load_recognizer(tmp_path / "best.safetensors")
    assert model.metadata["dev"]["toy"] == pytest.approx(engine.state.best_score)


def test_source_weights_set_each_sources_share_of_the_batches():
    images, texts = synthetic(6, seed=2)
    recognizer = tiny_recognizer(texts)
    sources = [LineSet("a", images[:3], texts[:3], weight=1.0), LineSet("b", images[3:], texts[3:], weight=fading(9.0, 0.0, 0.5))]
    task = CtcLineTask(recognizer, sources, {}, batch_columns=10_000, max_batch=50, augment=None)
    assert task.source_shares(0.0) == pytest.approx([0.1, 0.9])
    assert task.source_shares(0.8) == pytest.approx([1.0, 0.0])
    task.progress = 0.8
    task.refill()
    assert all(int(i) < 3 for batch in task.queue for i in batch)  # "b" no longer drawn


def test_lines_too_narrow_for_their_text_are_left_out():
    images, texts = synthetic(4, seed=3)
    recognizer = tiny_recognizer(texts + ["x" * 40])
    narrow = np.full((32, 20), 255, np.uint8)
    task = CtcLineTask(recognizer, [LineSet("toy", images + [narrow], texts + ["x" * 40])], {}, augment=None)
    assert task.skipped_narrow == 1 and len(task.lines) == 4


def test_recipe_trains_from_a_pack_and_writes_a_16_bit_model(tmp_path):
    from typer.testing import CliRunner

    from scriptio.cli import app

    images, texts = synthetic(12, seed=4)
    records = [LineRecord(id=f"l{i}", image_path=Path("x"), text=t, dataset="toy", page=f"p{i}")
               for i, t in enumerate(texts)]
    caches = {"toy/train": LineCache.of(records[:9], [np.asarray(i) for i in images[:9]]),
              "toy/dev": LineCache.of(records[9:], [np.asarray(i) for i in images[9:]]),
              "toy/val": LineCache.of(records[9:], [np.asarray(i) for i in images[9:]])}
    pack = tmp_path / "lines.tar"
    write_pack(pack, caches, 32, ["contrast", "trim", "resize"])
    arch = '{"height": 32, "channels": [8, 16], "pools": [[2, 2], [2, 2]], "hidden": 16, "layers": 1}'
    result = CliRunner().invoke(app, ["recipe", "recognizer", "--pack", str(pack), "--out", str(tmp_path / "run"),
                                      "--max-steps", "4", "--arch", arch, "--max-batch", "4",
                                      "--batch-columns", "2000", "--eval-minutes", "100"])
    assert result.exit_code == 0, result.output
    model = load_recognizer(tmp_path / "run" / "best.safetensors")
    assert model.steps == ("contrast", "trim", "resize", "width")
    assert set(model.metadata["dev"]) == {"toy", "score"}  # val is never looked at
    from safetensors import safe_open

    with safe_open(str(tmp_path / "run" / "best.safetensors"), framework="pt") as handle:
        assert all(handle.get_tensor(k).dtype == torch.float16 for k in handle.keys()
                   if handle.get_tensor(k).is_floating_point())



def test_training_batches_are_augmented_only_when_asked():
    """The task's own batches: with augmentation the images change (same lines, same targets),
    without it they are the packed lines themselves."""
    images, texts = synthetic(6, seed=5)
    recognizer = tiny_recognizer(texts)

    def task(augment):
        return CtcLineTask(recognizer, [LineSet("toy", images, texts)], {}, batch_columns=10_000, max_batch=6,
                           augment=augment, seed=3)

    plain = task(None).next_batch(torch.Generator().manual_seed(0))
    augmented = task(BatchAugmentParams(probability=1.0)).next_batch(torch.Generator().manual_seed(0))
    assert torch.equal(plain["targets"], augmented["targets"]) and plain["count"] == augmented["count"] == 6
    reference = task(None)
    reference.refill()
    packed, widths = reference.lines.batch(torch.from_numpy(reference.queue[0]), WIDTH_MULTIPLE)
    assert torch.equal(plain["images"], packed) and torch.equal(plain["widths"], widths)
    width = min(packed.shape[3], augmented["images"].shape[3])
    moved = float((augmented["images"][..., :width] - packed[..., :width]).abs().mean())
    assert moved > 0.01
