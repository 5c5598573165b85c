"""Jobs: many pages queued, followed, kept across a restart, each page finished exactly once."""
from __future__ import annotations

from scriptio.serve.store import JobStore
from tests.serve.conftest import line_png, page_image, png, wait_for_job

TEXTS = ["the cat", "a dog ran", "ten net"]


def _line_files(texts=TEXTS) -> list:
    return [("files", (f"line{index}.png", line_png(text), "image/png")) for index, text in enumerate(texts)]


def test_job_of_three_pages_gives_three_results(client, glyph_recognizer):
    accepted = client.post("/v1/jobs", files=_line_files(), data={"level": "line", "format": "json"})
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "queued" and body["pages"] == 3 and body["url"] == f"/v1/jobs/{body['id']}"
    report = wait_for_job(client, body["id"])
    assert report["status"] == "done" and report["pages_total"] == 3 and report["pages_done"] == 3
    assert report["finished_at"] is not None and report["options"]["level"] == "line"
    assert [page["name"] for page in report["pages"]] == ["line0.png", "line1.png", "line2.png"]
    texts = [page["output"]["regions"][0]["lines"][0]["text"] for page in report["pages"]]
    assert texts == TEXTS
    assert glyph_recognizer.calls == 3


def test_a_bad_page_fails_alone(client):
    files = _line_files(TEXTS[:1]) + [("files", ("broken.png", b"not an image", "image/png"))]
    report = wait_for_job(client, client.post("/v1/jobs", files=files, data={"level": "line", "format": "txt"})
                          .json()["id"])
    assert report["status"] == "done" and report["pages_done"] == 1 and report["pages_failed"] == 1
    good, bad = report["pages"]
    assert good["output"] == "the cat\n" and good["error"] is None
    assert bad["status"] == "failed" and bad["output"] is None and "not a readable image" in bad["error"]


def test_page_files_are_paired_with_the_images_they_name(client, page_schema):
    from lxml import etree

    xml = client.post("/v1/read", files={"file": ("scan.png", png(page_image()), "image/png")},
                      data={"format": "page"}).content
    files = [("files", ("scan.page.xml", xml, "application/xml")),
             ("files", ("scan.png", png(page_image()), "image/png")),
             ("files", ("other.png", png(page_image()), "image/png"))]
    report = wait_for_job(client, client.post("/v1/jobs", files=files, data={"format": "page"}).json()["id"])
    assert [page["name"] for page in report["pages"]] == ["scan.page.xml", "other.png"]
    for page in report["pages"]:
        assert page["status"] == "done" and page_schema.validate(etree.fromstring(page["output"].encode()))
    unpaired = client.post("/v1/jobs", files=files[:1])
    assert unpaired.status_code == 422 and "scan.png" in unpaired.json()["error"]


def test_unknown_job_is_404(client):
    response = client.get("/v1/jobs/nope")
    assert response.status_code == 404 and "nope" in response.json()["error"]


def test_restart_finishes_every_page_exactly_once(make_client, glyph_recognizer, tmp_path):
    """A server stopped with a queued job, and a page left 'running' (as by a crash), is started
    again on the same database: the running page is queued again, every page is read once, and a
    third start redoes nothing."""
    with make_client(start_paused=True) as client:
        job_id = client.post("/v1/jobs", files=_line_files(), data={"level": "line", "format": "txt"}).json()["id"]
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"
    crashed = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}").claim_next()  # a worker that died mid-page
    assert crashed is not None and crashed.name == "line0.png"
    assert glyph_recognizer.calls == 0

    with make_client() as client:
        assert client.app.state.requeued_on_start == 1
        report = wait_for_job(client, job_id)
    assert report["status"] == "done" and [page["output"] for page in report["pages"]] == [t + "\n" for t in TEXTS]
    assert [page["attempts"] for page in report["pages"]] == [2, 1, 1]
    assert glyph_recognizer.calls == 3

    with make_client() as client:
        assert client.app.state.requeued_on_start == 0
        assert client.get(f"/v1/jobs/{job_id}").json() == report
    assert glyph_recognizer.calls == 3


def test_a_lost_claim_cannot_overwrite_a_result(tmp_path):
    """The page a dead worker held is queued again and finished by another; the dead worker's
    late result is refused."""
    from scriptio.serve.reading import ReadOptions
    from scriptio.serve.uploads import PageUpload, Upload

    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    image = Upload("a.png", line_png("a cat"), "image")
    store.create_job(ReadOptions(level="line", format="txt"), [(PageUpload("a.png", image), 1)], capacity=5)
    old = store.claim_next()
    assert store.claim_next() is None and store.requeue_running() == 1
    new = store.claim_next()
    assert store.finish(new, "a cat\n") and not store.finish(old, "stale\n")
    assert store.job(new.job_id)["pages"][0]["output"] == "a cat\n"
    assert store.unfinished_jobs() == 0


def test_images_may_share_a_name(client):
    files = [("files", ("image.png", line_png(text), "image/png")) for text in TEXTS[:2]]
    report = wait_for_job(client, client.post("/v1/jobs", files=files, data={"level": "line", "format": "txt"})
                          .json()["id"])
    assert [page["output"] for page in report["pages"]] == [text + "\n" for text in TEXTS[:2]]
