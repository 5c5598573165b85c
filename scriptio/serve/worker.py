"""Threads that take queued job pages in order, read them and store their results.

The models come from the shared catalog (loaded once); each page is claimed from the database,
so several threads, or a restarted server, never read a page twice; a page's failure (an
unusable image) is stored as its result and does not stop the job.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from scriptio.errors import ScriptioError
from scriptio.serve.catalog import ModelCatalog
from scriptio.serve.reading import read_upload, render
from scriptio.serve.store import JobStore, PageTask

log = logging.getLogger("scriptio.serve")

Process = Callable[[PageTask], str]


def page_processor(catalog: ModelCatalog) -> Process:
    """The work of one page: read it through the facade, render it in the job's format."""
    def process(task: PageTask) -> str:
        page = read_upload(task.page, task.options, catalog, task.frame)
        return render(page, task.options.format)
    return process


class Worker:
    """`threads` threads over one store; `pause()` lets the current pages finish and takes no more."""

    def __init__(self, store: JobStore, process: Process, threads: int = 1, poll_s: float = 0.5,
                 paused: bool = False) -> None:
        self.store = store
        self.process = process
        self.poll_s = poll_s
        self._count = threads
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running = threading.Event()
        if not paused:
            self._running.set()

    def start(self) -> None:
        for index in range(self._count):
            thread = threading.Thread(target=self._loop, name=f"scriptio-job-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self.wake()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop taking pages and wait for the current ones; a page still running after the wait
        stays marked running and is queued again when the server next starts."""
        self._stop.set()
        self._running.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._running.wait()
            if self._stop.is_set():
                return
            try:
                task = self.store.claim_next()
            except Exception:  # the database is briefly unavailable: try again later
                log.exception("cannot claim a job page")
                task = None
            if task is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self._run(task)

    def _run(self, task: PageTask) -> None:
        output, error = None, None
        try:
            output = self.process(task)
        except ScriptioError as problem:
            error = str(problem)
        except Exception:  # a bug, not the client's input: logged in full, reported briefly
            log.exception("job %s page %s failed", task.job_id, task.name)
            error = "internal error while reading this page (the server log has the details)"
        try:
            if not self.store.finish(task, output, error):
                log.warning("job %s page %s: result dropped, the page was claimed again", task.job_id, task.name)
        except Exception:
            log.exception("cannot store the result of job %s page %s", task.job_id, task.name)
