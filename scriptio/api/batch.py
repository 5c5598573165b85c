"""Reading many inputs in one process, in several (`workers`), or on a Ray cluster.

A `Reader` holds what reading needs (recognizer, decoder, segmenter, level). It is sent once to
each worker, which keeps it for all of its work, so models are loaded once per worker and not
once per page. The units of work are whole page jobs (page and block levels) or shards of
`LINE_SHARD` consecutive lines (line level). One process reads the same shards through the same
code as a pool does, and every pool hands results back in input order, so the output is the same
whatever the number of workers, and it comes out in the same order.
"""
from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np

from scriptio.api.inputs import Job
from scriptio.api.lines import LineOutcome, LineSource, read_lines, record_sources
from scriptio.api.pages import Segmenter
from scriptio.errors import ScriptioError
from scriptio.types import LineRecord

# Lines per unit of work at line level: small enough that 200 lines keep two workers busy, large
# enough that the recognizer's width-sorted batches stay full.
LINE_SHARD = 64


def _not_loadable() -> np.ndarray:
    raise RuntimeError("this line was read in another process: its image is not kept here")


@dataclass
class Reader:
    """Everything one worker needs to read pages or lines; `threads` is applied where it lands."""

    recognizer: Any = None
    decoder: Any = None
    segmenter: Segmenter | None = None
    level: str = "page"
    keep_images: bool = False
    threads: int | None = None

    def pages(self, job: Job) -> list:
        """The PageOutcomes of one page-level job (the page image only with `keep_images`)."""
        from scriptio.api import read_jobs

        outcomes = list(read_jobs([job], self.level, self.recognizer, self.segmenter, self.decoder))
        if not self.keep_images:
            for outcome in outcomes:
                outcome.image = None
        return outcomes

    def lines(self, records: Sequence[LineRecord]) -> list[LineOutcome]:
        """One shard of lines read as one chunk; the outcomes can travel between processes
        (their sources no longer hold the function that loads the image)."""
        outcomes = list(read_lines(record_sources(records), self.recognizer, self.decoder,
                                   chunk=max(1, len(records)), keep_images=self.keep_images))
        for outcome in outcomes:
            source = outcome.source
            outcome.source = LineSource(source.key, _not_loadable, source.polygon, source.baseline, source.record)
        return outcomes


class Pool(Protocol):
    """Runs `Reader` methods on work items; results in the order of the items."""

    def map(self, method: str, items: Sequence) -> Iterator: ...

    def close(self) -> None: ...


class InProcess:
    """The reader in this process: no start-up cost, the reference the others must equal."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def map(self, method: str, items: Sequence) -> Iterator:
        call = getattr(self.reader, method)
        return (call(item) for item in items)

    def close(self) -> None:
        pass


_WORKER_READER: Reader | None = None


def _start_worker(pickled: bytes) -> None:
    global _WORKER_READER
    reader = pickle.loads(pickled)
    if reader.threads:
        import torch

        torch.set_num_threads(reader.threads)
    _WORKER_READER = reader


def _work(method: str, item):
    return getattr(_WORKER_READER, method)(item)


class ProcessPool:
    """`workers` processes (started on first use, spawned: safe with torch's threads), each
    unpickling the reader, and so its models, once (pickled once here: a language model can
    take seconds)."""

    def __init__(self, reader: Reader, workers: int) -> None:
        self.reader, self.workers = reader, workers
        self.pool = None

    def map(self, method: str, items: Sequence) -> Iterator:
        if not items:
            return iter(())
        if self.pool is None:
            context = multiprocessing.get_context("spawn")
            self.pool = context.Pool(min(self.workers, len(items)), _start_worker, (pickle.dumps(self.reader),))
        return self.pool.imap(partial(_work, method), items, chunksize=1)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


class Pools:
    """`with open_pool(...) as pool`: the pool is closed (workers stopped) however the block ends."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def __enter__(self) -> Pool:
        return self.pool

    def __exit__(self, *exc) -> None:
        self.pool.close()


def open_pool(reader: Reader, workers: int = 1, ray: str | None = None) -> Pools:
    """Where to read: this process (workers=1), `workers` local processes, or a Ray cluster at
    address `ray` ('local' starts one on this machine) with `workers` actors (None: one per CPU
    of the cluster)."""
    if workers is not None and workers < 1:
        raise ScriptioError(f"--workers {workers}: give 1 or more worker processes")
    if ray is not None:
        from scriptio.api.cluster import RayPool

        return Pools(RayPool(reader, ray, workers if workers and workers > 1 else None))
    if workers > 1:
        return Pools(ProcessPool(reader, workers))
    return Pools(InProcess(reader))


def read_job_pages(jobs: Sequence[Job], pool: Pool, on_job: Callable[[Job], None] | None = None) -> Iterator:
    """The PageOutcomes of every job, job by job in input order; `on_job` after each job."""
    for job, outcomes in zip(jobs, pool.map("pages", list(jobs))):
        yield from outcomes
        if on_job:
            on_job(job)


def shards(items: Sequence, size: int = LINE_SHARD) -> list[list]:
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def read_records(records: Iterable[LineRecord], pool: Pool, on_progress: Callable[[int], None] | None = None,
                 shard: int = LINE_SHARD) -> Iterator[LineOutcome]:
    """Every record read, in input order, a shard of `shard` lines at a time."""
    parts = shards(list(records), shard)
    for outcomes in pool.map("lines", parts):
        yield from outcomes
        if on_progress:
            on_progress(len(outcomes))
