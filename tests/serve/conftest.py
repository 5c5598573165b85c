"""An app per test on a database of its own, reading with the glyph model (it reads exactly what
`tests.glyphs.draw_text` draws) behind a recognizer that counts, and can slow down, its calls."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from scriptio.serve import ModelCatalog, ServeSettings, create_app
from tests.glyphs import draw_text

PAGE_TEXTS = ["the cat sat", "on a mat", "dog ran to tea"]


class CountingRecognizer:
    """A real recognizer that counts `recognize` calls (a page of one line: one call) and can wait
    `delay_s` before each, for timeouts."""

    def __init__(self, inner, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def recognize(self, lines, decoder=None):
        with self._lock:
            self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.inner.recognize(lines, decoder)


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def line_png(text: str) -> bytes:
    return png(draw_text(text))


def page_image(texts: list[str] = PAGE_TEXTS) -> np.ndarray:
    """Glyph lines, 70 px apart, on a white page the classic segmenter finds them on."""
    page = np.full((60 + 70 * len(texts), 400), 255, np.uint8)
    for index, text in enumerate(texts):
        line = draw_text(text)
        page[40 + index * 70: 40 + index * 70 + line.shape[0], 30:30 + line.shape[1]] = line
    return page


@pytest.fixture
def glyph_recognizer(glyph_model_path) -> CountingRecognizer:
    from scriptio import api

    return CountingRecognizer(api.load_model(glyph_model_path))


@pytest.fixture
def make_client(tmp_path, glyph_recognizer) -> Callable:
    """make_client(**settings) → a context manager giving a started TestClient; the app (its
    store, worker, catalog) is `client.app`. Several apps made in one test share the database."""

    @contextmanager
    def make(recognizer=None, **overrides) -> Iterator[TestClient]:
        settings = ServeSettings(**{"db_url": f"sqlite:///{tmp_path / 'jobs.db'}", "poll_s": 0.05, **overrides})
        catalog = ModelCatalog({"glyphs": recognizer or glyph_recognizer}, segmenter="classic", lms=["en"])
        with TestClient(create_app(settings, catalog)) as client:
            yield client

    return make


@pytest.fixture
def client(make_client) -> Iterator[TestClient]:
    with make_client() as client:
        yield client


def wait_for_job(client: TestClient, job_id: str, timeout_s: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        report = client.get(f"/v1/jobs/{job_id}").json()
        if report["status"] == "done" or time.monotonic() > deadline:
            return report
        time.sleep(0.05)
