"""The limits: body size (413), unusable images (422), a full queue (429), slow reads (504),
CORS off by default, client file names never used as paths, errors always JSON."""
from __future__ import annotations

import re

import numpy as np
from sqlalchemy import select

from scriptio.image.io import MAX_SIDE
from scriptio.serve.store import uploads
from tests.serve.conftest import CountingRecognizer, line_png, png, wait_for_job


def test_body_over_the_limit_is_413(make_client):
    with make_client(max_upload_bytes=2000) as client:
        big = {"file": ("big.png", b"\x89PNG" + bytes(5000), "image/png")}
        declared = client.post("/v1/read", files=big)
        assert declared.status_code == 413 and "2,000-byte limit" in declared.json()["error"]
        assert client.post("/v1/jobs", files=[("files", big["file"])]).status_code == 413

        def chunks():  # no Content-Length: counted as it arrives
            yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
            for _ in range(10):
                yield bytes(1000)

        chunked = client.post("/v1/read", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
        assert chunked.status_code == 413 and "limit" in chunked.json()["error"]
        assert client.post("/v1/read", files={"file": ("l.png", line_png("a"), "image/png")},
                           data={"level": "line"}).status_code == 200


def test_unusable_images_are_422_with_the_loaders_message(client):
    corrupt = client.post("/v1/read", files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n" + bytes(40), "image/png")})
    assert corrupt.status_code == 422 and "image" in corrupt.json()["error"]
    empty = client.post("/v1/read", files={"file": ("scan.png", b"", "image/png")})
    assert empty.status_code == 422 and "no image data" in empty.json()["error"]
    wide = client.post("/v1/read", files={"file": ("wide.png", png(np.full((8, MAX_SIDE + 1), 255, np.uint8)),
                                                    "image/png")})
    assert wide.status_code == 422 and f"{MAX_SIDE}-px limit" in wide.json()["error"]


def test_full_queue_is_429(make_client):
    with make_client(queue_size=1, start_paused=True) as client:
        files = [("files", ("a.png", line_png("a cat"), "image/png"))]
        first = client.post("/v1/jobs", files=files, data={"level": "line"})
        assert first.status_code == 202
        full = client.post("/v1/jobs", files=files, data={"level": "line"})
        assert full.status_code == 429 and "queue is full" in full.json()["error"]
        assert full.headers["retry-after"]
        client.app.state.worker.resume()
        assert wait_for_job(client, first.json()["id"])["status"] == "done"
        assert client.post("/v1/jobs", files=files, data={"level": "line"}).status_code == 202


def test_slow_read_is_504(make_client, glyph_recognizer):
    slow = CountingRecognizer(glyph_recognizer.inner, delay_s=1.0)
    with make_client(recognizer=slow, read_timeout_s=0.2) as client:
        response = client.post("/v1/read", files={"file": ("l.png", line_png("a cat"), "image/png")},
                               data={"level": "line"})
        assert response.status_code == 504 and "0.2-s limit" in response.json()["error"]


def test_no_cors_unless_an_origin_is_given(make_client):
    preflight = {"origin": "https://example.org", "access-control-request-method": "POST"}
    with make_client() as client:
        answer = client.options("/v1/read", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
        assert "access-control-allow-origin" not in client.get("/healthz", headers=preflight).headers
    with make_client(cors_origins=("https://example.org",)) as client:
        answer = client.options("/v1/read", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://example.org"


def test_client_file_names_never_reach_the_file_system(make_client, tmp_path):
    with make_client(start_paused=True) as client:
        names = ["../../etc/passwd", "..\\..\\windows\\win.ini", "/abs/evil\x00.png", ".."]
        files = [("files", (name, line_png("a cat"), "image/png")) for name in names]
        accepted = client.post("/v1/jobs", files=files, data={"level": "line", "format": "txt"})
        assert accepted.status_code == 202, accepted.json()
        with client.app.state.store.engine.connect() as db:
            stored = [row.name for row in db.execute(select(uploads.c.name))]
        assert stored[:2] == ["passwd", "win.ini"] and stored[3] == "upload"
        assert all(re.fullmatch(r"[\w.\- ()+,]+", name) and name.strip(".") for name in stored), stored
        client.app.state.worker.resume()
        report = wait_for_job(client, accepted.json()["id"])
        assert [page["name"] for page in report["pages"]] == stored
        assert [page["output"] for page in report["pages"]] == ["a cat\n"] * 4
    assert {p.name for p in tmp_path.iterdir()} <= {"jobs.db", "jobs.db-shm", "jobs.db-wal"}
    assert not (tmp_path.parent / "etc").exists() and not (tmp_path / "etc").exists()


def test_errors_are_json(client):
    for response in (client.get("/nowhere"), client.get("/v1/read"), client.post("/v1/read"),
                     client.get("/v1/jobs/" + "0" * 32), client.post("/v1/read", content=b"not multipart",
                                                                     headers={"content-type": "multipart/form-data"})):
        assert response.status_code in (400, 404, 405, 422)
        assert set(response.json()) == {"error"} and "Traceback" not in response.text
