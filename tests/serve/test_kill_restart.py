"""Issue 22's acceptance, for real: `scriptio serve` runs as a process of its own on a SQLite file,
is killed with SIGKILL (no shutdown at all) in the middle of a 20-page job, and is started again
on the same file: every page finishes exactly once, and a third start redoes nothing.

The servers read with a test kind of the glyph model (`tests.glyphs`: it reads exactly the text a
line image draws) that also appends each text it has read to the file $SCRIPTIO_TEST_READ_LOG,
so the test sees which process read which page. To land the kill in the middle of the job
deterministically, the first server stalls on one page ($SCRIPTIO_TEST_STALL_ON names its text):
that page is certainly being read when the kill comes, the pages before it are done, the pages
after it are still queued. The stall and the log live in this file's model kind only; the server
itself is the unchanged `scriptio serve` (`scriptio.cli.main`), with this module imported first
so that the kind is registered.
"""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import httpx2 as httpx  # the dev extra's HTTP client (the TestClient's too)
import pytest

from scriptio.models.recognizer import register_kind
from tests.glyphs import GlyphRecognizer
from tests.serve.conftest import line_png


ROOT = Path(__file__).resolve().parents[2]
READ_LOG, STALL_ON, READ_DELAY = "SCRIPTIO_TEST_READ_LOG", "SCRIPTIO_TEST_STALL_ON", "SCRIPTIO_TEST_READ_DELAY"
TEXTS = ["the cat", "a dog ran", "ten net", "eat tea", "sat on a mat", "the dog ate", "ran to tea", "a cat sat",
         "net ten", "to eat", "the mat", "dog on a mat", "tea ate", "cat ran", "a net", "ate the tea",
         "on the net", "ten dogs sat", "the hat", "rats eat"]
STALLED = 5  # the first server stalls on this page; pages 0..4 are done before the kill
START_TIMEOUT_S = 90.0  # a loaded machine takes seconds just to import torch
JOB_TIMEOUT_S = 90.0
# `scriptio serve` itself, after importing this module (it registers the reading kind below).
LAUNCHER = "import tests.serve.test_kill_restart; from scriptio.cli import main; main()"


@register_kind("test-logged-glyphs")
class LoggedGlyphRecognizer(GlyphRecognizer):
    """The glyph model that waits $SCRIPTIO_TEST_READ_DELAY seconds per call, stalls (until the
    process is killed) on a line reading $SCRIPTIO_TEST_STALL_ON, and appends every text it read
    to $SCRIPTIO_TEST_READ_LOG, one a line."""

    def recognize(self, lines, decoder=None, batch_size: int = 16):
        results = super().recognize(lines, decoder, batch_size)
        stall = os.environ.get(STALL_ON)
        if stall is not None and any(result.text == stall for result in results):
            time.sleep(600)  # far longer than the test: only the SIGKILL ends this read
        time.sleep(float(os.environ.get(READ_DELAY, "0")))
        if os.environ.get(READ_LOG):
            with open(os.environ[READ_LOG], "a", encoding="utf-8") as log:
                log.writelines(result.text + "\n" for result in results)
        return results


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else "(no output)"


class Server:
    """One `scriptio serve` process: its URL, its output file, the log of what it read."""

    def __init__(self, process: subprocess.Popen, url: str, output: Path, read_log: Path) -> None:
        self.process, self.url, self.output, self.read_log = process, url, output, read_log

    def reads(self) -> list[str]:
        return self.read_log.read_text(encoding="utf-8").splitlines() if self.read_log.exists() else []

    def problem(self, message: str) -> str:
        return f"{message}\n--- server output ({self.output.name}) ---\n{_tail(self.output)}"


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., Server]]:
    """start_server(name, **env) → a started `scriptio serve` on tmp_path/jobs.db, one worker
    thread, answering /healthz. Every process started is killed when the test ends."""
    model = tmp_path / "logged-glyphs.safetensors"
    LoggedGlyphRecognizer.new().save(model)
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    started: list[tuple[subprocess.Popen, object]] = []

    def start(name: str, **env: str) -> Server:
        port = _free_port()
        output, read_log = tmp_path / f"{name}.out", tmp_path / f"{name}.reads"
        handle = open(output, "wb")
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                   "OMP_NUM_THREADS": "1", READ_LOG: str(read_log), READ_DELAY: "0.1", **env}
        environ.pop("SCRIPTIO_DB", None)
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
             "--model", f"glyphs={model}", "--default-model", "glyphs", "--segmenter", "classic",
             "--workers", "1", "--threads", "1"],
            cwd=ROOT, env=environ, stdout=handle, stderr=subprocess.STDOUT)
        started.append((process, handle))
        server = Server(process, f"http://127.0.0.1:{port}", output, read_log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(server.problem(f"{name}: `scriptio serve` exited with {process.returncode} on start"))
            try:
                if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(server.problem(f"{name}: no answer on /healthz after {START_TIMEOUT_S:.0f} s"))
            time.sleep(0.1)

    yield start
    for process, handle in started:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        handle.close()


def _poll(server: Server, job_id: str, until: Callable[[dict], bool], what: str, timeout_s: float) -> dict:
    deadline, report = time.monotonic() + timeout_s, None
    while True:
        if server.process.poll() is not None:
            pytest.fail(server.problem(f"the server exited ({server.process.returncode}) while waiting for {what}"))
        try:
            response = httpx.get(f"{server.url}/v1/jobs/{job_id}", timeout=10)
            assert response.status_code == 200, response.text
            report = response.json()
            if until(report):
                return report
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            statuses = [page["status"] for page in report["pages"]] if report else None
            pytest.fail(server.problem(f"no {what} after {timeout_s:.0f} s; page statuses: {statuses}"))
        time.sleep(0.05)


def _pages_in_db(db: Path, job_id: str) -> list[tuple[int, str, int, str | None]]:
    """(position, status, attempts, output) of every page, read from the file itself."""
    with closing(sqlite3.connect(db, timeout=30)) as connection:
        return connection.execute("SELECT position, status, attempts, output FROM pages WHERE job_id = ? "
                                  "ORDER BY position", (job_id,)).fetchall()


def test_killed_mid_job_then_restarted_every_page_finishes_once(start_server, tmp_path):
    assert len(set(TEXTS)) == len(TEXTS) == 20
    expected = [text + "\n" for text in TEXTS]

    # 1. A server takes a 20-page job and is killed (SIGKILL) while it reads page STALLED.
    first = start_server("first", **{STALL_ON: TEXTS[STALLED]})
    files = [("files", (f"page{index:02d}.png", line_png(text), "image/png")) for index, text in enumerate(TEXTS)]
    accepted = httpx.post(f"{first.url}/v1/jobs", files=files, data={"level": "line", "format": "txt"}, timeout=60)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    assert accepted.json()["pages"] == 20

    def in_the_middle(report: dict) -> bool:
        return report["pages"][STALLED]["status"] == "running"

    before = _poll(first, job_id, in_the_middle, f"page {STALLED} running", JOB_TIMEOUT_S)
    os.kill(first.process.pid, signal.SIGKILL)
    assert first.process.wait(30) == -signal.SIGKILL
    assert before["status"] == "running" and 3 <= before["pages_done"] < 20

    at_kill = _pages_in_db(tmp_path / "jobs.db", job_id)
    done_at_kill = [position for position, status, _, _ in at_kill if status == "done"]
    running_at_kill = [position for position, status, _, _ in at_kill if status == "running"]
    assert done_at_kill == list(range(STALLED)) and running_at_kill == [STALLED], at_kill
    assert [attempts for _, _, attempts, _ in at_kill] == [1] * (STALLED + 1) + [0] * (19 - STALLED)
    assert [output for _, _, _, output in at_kill[:STALLED]] == expected[:STALLED]
    assert first.reads() == TEXTS[:STALLED]  # the stalled page was never finished

    # 2. A new server on the same database finishes the job.
    second = start_server("second")
    report = _poll(second, job_id, lambda report: report["status"] == "done", "finished job", JOB_TIMEOUT_S)
    assert report["pages_total"] == report["pages_done"] == 20 and report["pages_failed"] == 0
    assert [page["status"] for page in report["pages"]] == ["done"] * 20
    assert [page["name"] for page in report["pages"]] == [f"page{index:02d}.png" for index in range(20)]
    assert [page["output"] for page in report["pages"]] == expected
    assert all(page["error"] is None for page in report["pages"])
    attempts = [page["attempts"] for page in report["pages"]]
    # the pages done before the kill keep their result and one attempt; only the page being read
    # at the kill was read twice; the queued ones once
    for position, _, attempts_at_kill, output_at_kill in at_kill[:STALLED]:
        assert attempts[position] == attempts_at_kill == 1
        assert report["pages"][position]["output"] == output_at_kill
    assert [position for position, count in enumerate(attempts) if count == 2] == running_at_kill
    assert attempts == [1] * STALLED + [2] + [1] * (19 - STALLED) and max(attempts) <= 2
    assert sorted(second.reads()) == sorted(TEXTS[STALLED:])  # each page not done at the kill, once

    # 3. A third start finds nothing to redo.
    third = start_server("third")
    health = httpx.get(f"{third.url}/healthz", timeout=10).json()
    assert health["unfinished_jobs"] == 0 and health["queued_pages"] == 0
    time.sleep(1.5)  # the worker has looked at the queue (it polls every 0.5 s)
    assert httpx.get(f"{third.url}/v1/jobs/{job_id}", timeout=10).json() == report
    assert third.reads() == [] and sorted(second.reads()) == sorted(TEXTS[STALLED:])
    assert [(status, count) for _, status, count, _ in _pages_in_db(tmp_path / "jobs.db", job_id)] == \
        [("done", count) for count in attempts]
    print(f"\npages done before the kill: {len(done_at_kill)} {done_at_kill}; running at the kill: "
          f"{running_at_kill}; attempts after restart: {attempts}")
