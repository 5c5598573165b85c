"""Training with DDP (torchrun) on the CPU: two gloo processes train a CTC line recognizer exactly
as one process does on the whole batches, through an interruption and a resume, and keep their
weights identical when their shares differ (batch norm, distortions)."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from scriptio.nets.crnn import CRNNConfig
from scriptio.train.ctc_task import CtcLineTask, LineSet
from scriptio.train.distributed import Distributed, from_env
from scriptio.train.engine import Engine, EngineConfig
from scriptio.train.lines import new_recognizer

WORLD = 2
STEPS = 6
EXACT = dict(lr=1e-2, warmup_steps=2, max_steps=STEPS, eval_every_steps=3, ema_decay=0.9, seed=0,
             log_every_steps=1000, optimizer="adam", freeze_norm=True)


class Interrupted(CtcLineTask):
    """Dies (like a machine taken back) when asked for its `crash_at`-th batch."""

    crash_at: int | None = None
    calls = 0

    def next_batch(self, generator, progress=0.0):
        self.calls += 1
        if self.calls == self.crash_at:
            raise KeyboardInterrupt
        return super().next_batch(generator, progress)


def make_task(crash_at: int | None = None, augment: bool = False) -> Interrupted:
    """16 lines of one width (so a share is padded as the whole batch is), batches of 8 (some
    of them odd in size), a tiny CRNN without dropout: what a line reads does not depend on the
    other lines of its batch, so the shares must add up to the whole batch exactly."""
    from scriptio.data.augment_batch import BatchAugmentParams

    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(list("abc "), size=int(rng.integers(2, 9)))).strip() or "a" for _ in range(16)]
    images = [np.where(rng.random((32, 128)) < 0.2, 0, 255).astype(np.uint8) for _ in texts]
    torch.manual_seed(0)
    recognizer = new_recognizer(texts, CRNNConfig(height=32, channels=(8, 16, 16, 16),
                                                  pools=((2, 2), (2, 2), (2, 1), (2, 1)), hidden=16, layers=1,
                                                  dropout=0.0, conv_dropout=0.0))
    task = Interrupted(recognizer, [LineSet("toy", images[:15], texts[:15])], {"toy": (images[12:], texts[12:])},
                       batch_columns=7 * 128, max_batch=7, pool_batches=2,
                       augment=BatchAugmentParams() if augment else None, half_weights=False)
    task.crash_at = crash_at
    return task


def weights(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in network.state_dict().items()}


def train_in_rank(rank: int, port: int, folder: str) -> None:
    """One torchrun process: (1) the exact run, interrupted after its first checkpoint and
    resumed; (2) a run whose shares differ (batch norm learns, lines are distorted)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    group = from_env("cpu")
    out = Path(folder)
    try:
        task = make_task(crash_at=5)  # after the checkpoint of step 3
        Engine(task, EngineConfig(**EXACT), out / "exact", log=lambda m: None, distributed=group).fit()
    except KeyboardInterrupt:
        task = make_task()
        Engine(task, EngineConfig(**EXACT), out / "exact", log=lambda m: None, distributed=group).fit(resume=True)
    torch.save(weights(task.network), out / f"exact-{rank}.pt")
    task = make_task(augment=True)
    config = EngineConfig(**dict(EXACT, freeze_norm=False))
    Engine(task, config, out / "shares", log=lambda m: None, distributed=group).fit()
    torch.save(weights(task.network), out / f"shares-{rank}.pt")
    group.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ddp")
    mp.spawn(train_in_rank, args=(free_port(), str(folder)), nprocs=WORLD, join=True)
    return folder


def test_two_processes_train_as_one_process_on_the_whole_batch_through_a_resume(ddp_run, tmp_path):
    task = make_task()
    Engine(task, EngineConfig(**EXACT), tmp_path, log=lambda m: None).fit()
    one = weights(task.network)
    ranks = [torch.load(ddp_run / f"exact-{rank}.pt") for rank in range(WORLD)]
    assert all(torch.equal(ranks[0][name], ranks[1][name]) for name in one), "the processes drifted apart"
    started = make_task().network.state_dict()
    assert any(not torch.equal(one[name], started[name]) for name in one), "nothing was trained"
    for name in one:
        assert torch.allclose(ranks[0][name], one[name], rtol=1e-4, atol=1e-5), name
    # The averaged weights that rank 0 evaluated and saved are those one process saves.
    saved, reference = load_file(ddp_run / "exact" / "last.safetensors"), load_file(tmp_path / "last.safetensors")
    assert saved.keys() == reference.keys()
    assert all(torch.allclose(saved[k].float(), reference[k].float(), rtol=1e-4, atol=1e-5) for k in saved)


def test_processes_stay_identical_when_their_shares_differ(ddp_run):
    ranks = [torch.load(ddp_run / f"shares-{rank}.pt") for rank in range(WORLD)]
    assert ranks[0].keys() == ranks[1].keys()
    assert all(torch.equal(ranks[0][name], ranks[1][name]) for name in ranks[0]
               if "running" not in name and "num_batches" not in name), "the processes drifted apart"
    assert sorted(p.name for p in (ddp_run / "shares").iterdir()) == ["best.safetensors", "checkpoint.pt",
                                                                      "history.json", "last.safetensors"]


def test_a_task_that_cannot_share_its_batches_is_refused_under_ddp(tmp_path):
    from scriptio.errors import ScriptioError
    from tests.train.test_engine import LineFitTask

    with pytest.raises(ScriptioError, match="one process"):
        Engine(LineFitTask(), EngineConfig(), tmp_path, distributed=Distributed(rank=0, world=2))


def test_a_training_not_made_for_torchrun_refuses_to_run_under_it(tmp_path, monkeypatch):
    from scriptio.errors import ScriptioError
    from tests.train.test_engine import LineFitTask

    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ScriptioError, match="without torchrun"):
        Engine(LineFitTask(), EngineConfig(), tmp_path)
