"""The trainer survives odd data: NaN losses, lines too narrow for CTC, and resumes exactly."""
from __future__ import annotations

import numpy as np
import torch

from scriptio.data.dataset import LineCache, width_batches
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.setup import new_crnn_recognizer
from scriptio.train.trainer import Source, TrainConfig, Trainer, fit_width
from scriptio.types import LineRecord

CONFIG = dict(height=32, channels=(8, 8, 16, 16), pools=((2, 2), (2, 2), (2, 1), (2, 1)), hidden=16, layers=1,
              dropout=0.0, conv_dropout=0.0)


def fake_cache(widths_and_texts: list[tuple[int, str]]) -> LineCache:
    cache = LineCache([], normalize=lambda *a: None)
    rng = np.random.default_rng(0)
    for index, (width, text) in enumerate(widths_and_texts):
        cache.records.append(LineRecord(id=str(index), image_path=None, text=text))
        cache.images.append(rng.integers(0, 256, (32, width), dtype=np.uint8))
    return cache


def make_trainer(tmp_path, cache, **overrides) -> Trainer:
    torch.manual_seed(0)
    recognizer = new_crnn_recognizer(["abcdefgh "], CRNNConfig(**CONFIG))
    config = TrainConfig(**{"epochs": 1, "batch_size": 4, "augment": False, "seed": 0, **overrides})
    return Trainer(recognizer, [Source("fake", cache)], {}, config, tmp_path, log=lambda m: None)


def test_narrow_lines_are_padded_or_skipped_and_counted(tmp_path):
    # 4-px frames: "abcd" needs 4 frames (16 px); "aabb" needs 6 frames because of the repeats
    cache = fake_cache([(40, "abcd"), (12, "abcd"), (16, "aabb"), (4, "abcdefghabcdefgh")])
    trainer = make_trainer(tmp_path, cache)
    kept = [fit_width(image, trainer.alphabet.encode(record.text), trainer.downsample)[0]
            for image, record in zip(cache.images, cache.records)]
    assert kept[0].shape[1] == 40
    assert kept[1].shape[1] >= 16 and kept[2].shape[1] >= 24
    assert kept[3] is None
    batch = next(trainer.batches([(trainer.sources[0], np.arange(4))]))
    assert batch[0].shape[0] == 3
    assert trainer.state.counters.padded_narrow == 2
    assert trainer.state.counters.skipped_narrow == 1


def test_loader_threads_give_the_same_batches_as_inline(tmp_path):
    cache = fake_cache([(64 + 4 * i, "abc"[: 1 + i % 3]) for i in range(12)])
    plan_indices = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)]
    results = []
    for threads in (0, 2):
        trainer = make_trainer(tmp_path, cache, augment=True, loader_threads=threads)
        plan = [(trainer.sources[0], indices) for indices in plan_indices]
        results.append([batch[0] for batch in trainer.batches(plan)])
    assert all(torch.equal(a, b) for a, b in zip(*results))
    assert len(results[0]) == 3


def test_non_finite_loss_skips_the_batch_without_touching_weights(tmp_path):
    cache = fake_cache([(64, "abc")] * 4)
    trainer = make_trainer(tmp_path, cache)
    before = [p.detach().clone() for p in trainer.network.parameters()]
    trainer.loss_fn = lambda *args: torch.tensor(float("nan"), requires_grad=True)
    batch, _, _ = trainer.make_batch(trainer.sources[0], np.arange(4))
    loss, count, _ = trainer.train_step(batch)
    assert count == 0 and np.isnan(loss)
    assert trainer.state.counters.skipped_nonfinite == 1
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.network.parameters()))


def test_resume_continues_from_the_checkpoint(tmp_path):
    cache = fake_cache([(64, "abc"), (72, "bad"), (60, "cab"), (80, "dab")] * 2)
    trainer = make_trainer(tmp_path, cache, epochs=1)
    trainer.fit()
    steps = trainer.state.step
    weights = {k: v.clone() for k, v in trainer.network.state_dict().items()}
    resumed = make_trainer(tmp_path, cache, epochs=2)
    assert resumed.resume()
    assert resumed.state.epoch == 1 and resumed.state.step == steps
    assert all(torch.equal(weights[k], v) for k, v in resumed.network.state_dict().items())
    resumed.fit(resume=True)
    assert resumed.state.epoch == 2 and resumed.state.step > steps


def test_width_batches_group_similar_widths_and_cover_everything():
    rng = np.random.default_rng(0)
    widths = rng.integers(50, 2000, 200)
    batches = width_batches(widths, np.arange(200), 8, rng, max_pixels=8 * 1500)
    assert sorted(np.concatenate(batches).tolist()) == list(range(200))
    spreads = [widths[b].max() / widths[b].min() for b in batches if len(b) > 1]
    assert np.median(spreads) < 1.3
    assert all(len(b) * widths[b].max() <= 8 * 1500 or len(b) == 1 for b in batches)


def test_source_weights_scale_each_sources_natural_share(tmp_path):
    big = fake_cache([(64, "abc")] * 30)
    small = fake_cache([(64, "bad")] * 10)
    trainer = make_trainer(tmp_path, big)
    trainer.sources = [Source("big", big, 1.0), Source("small", small, 1.0)]
    assert trainer.source_counts(40).tolist() == [30, 10]
    trainer.sources[1].weight = 0.5
    assert trainer.source_counts(35).tolist() == [30, 5]
