"""The generic engine: a toy task it knows nothing about learns, NaN steps are skipped, runs resume."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from scriptio.train.engine import Engine, EngineConfig


class LineFitTask:
    """Fit y = 3x - 1 with a linear layer: not lines, not CTC, nothing the engine knows of."""

    def __init__(self, poison_steps: set[int] = frozenset()) -> None:
        self.network = nn.Linear(1, 1)
        self.poison_steps = set(poison_steps)
        self.calls = 0
        self.saved: list[Path] = []

    def next_batch(self, generator: torch.Generator, progress: float):
        x = torch.rand(32, 1, generator=generator) * 2 - 1
        self.calls += 1
        return x, 3 * x - 1, self.calls in self.poison_steps

    def loss(self, network, batch):
        x, y, poison = batch
        loss = ((network(x) - y) ** 2).mean()
        return (loss * float("nan") if poison else loss), {"mse": float(loss.detach())}

    def items(self, batch) -> int:
        return len(batch[0])

    def evaluate(self, network) -> dict:
        x = torch.linspace(-1, 1, 50).unsqueeze(1)
        with torch.no_grad():
            return {"score": float(((network(x) - (3 * x - 1)) ** 2).mean())}

    def save_model(self, network, path: Path, metadata: dict) -> None:
        save_file({k: v.detach().contiguous() for k, v in network.state_dict().items()}, str(path),
                  metadata={"step": str(metadata["training"]["step"])})
        self.saved.append(path)

    def watch(self, stats, step) -> float:
        return 1.0


def test_a_task_the_engine_knows_nothing_about_learns(tmp_path):
    task = LineFitTask()
    engine = Engine(task, EngineConfig(lr=0.05, warmup_steps=10, max_steps=300, eval_every_steps=100,
                                       ema_decay=0.9), tmp_path, log=lambda m: None)
    before = task.evaluate(task.network)["score"]
    state = engine.fit()
    assert state.step == 300 and state.evaluations == 3
    assert state.best_score < 0.01 * before
    weights = load_file(tmp_path / "best.safetensors")
    assert abs(float(weights["weight"]) - 3) < 0.2 and abs(float(weights["bias"]) + 1) < 0.2
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["step"] for h in history] == [100, 200, 300]


def test_non_finite_losses_are_skipped_and_counted(tmp_path):
    task = LineFitTask(poison_steps={3, 7, 8})
    engine = Engine(task, EngineConfig(lr=0.05, warmup_steps=1, max_steps=20, eval_every_steps=20),
                    tmp_path, log=lambda m: None)
    state = engine.fit()
    assert state.skipped_nonfinite == 3
    assert all(torch.isfinite(p).all() for p in task.network.parameters())


class CrashingTask(LineFitTask):
    """Dies (like a machine taken back) when asked for its `crash_at`-th batch."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at

    def next_batch(self, generator, progress):
        if self.calls + 1 == self.crash_at:
            raise KeyboardInterrupt
        return super().next_batch(generator, progress)


def test_resume_continues_where_the_run_stopped(tmp_path):
    config = EngineConfig(lr=0.05, warmup_steps=5, max_steps=40, eval_every_steps=20, seed=3)
    torch.manual_seed(0)
    straight = LineFitTask()
    Engine(straight, config, tmp_path / "straight", log=lambda m: None).fit()
    torch.manual_seed(0)
    crashing = CrashingTask(crash_at=27)  # after the checkpoint of step 20
    try:
        Engine(crashing, config, tmp_path / "split", log=lambda m: None).fit()
    except KeyboardInterrupt:
        pass
    resumed = LineFitTask()  # other initial weights: the checkpoint must replace them
    state = Engine(resumed, config, tmp_path / "split", log=lambda m: None).fit(resume=True)
    assert state.step == 40
    # Same batches (the generator state travels in the checkpoint), same optimizer state, same
    # schedule: the same weights at the end as the run that never stopped.
    assert torch.allclose(resumed.network.weight, straight.network.weight, atol=1e-6)
    assert torch.allclose(resumed.network.bias, straight.network.bias, atol=1e-6)


def test_patience_stops_a_run_that_no_longer_improves(tmp_path):
    task = LineFitTask()
    config = EngineConfig(lr=0.0, warmup_steps=1, max_steps=1000, eval_every_steps=10, patience=3, ema_decay=0)
    state = Engine(task, config, tmp_path, log=lambda m: None).fit()
    assert state.evaluations == 4 and state.step == 40
