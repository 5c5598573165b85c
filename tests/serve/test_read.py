"""POST /v1/read: a line, a page, a PAGE file with its image, in every output format."""
from __future__ import annotations

import io

import cv2
import numpy as np
from lxml import etree
from PIL import Image

from tests.serve.conftest import PAGE_TEXTS, line_png, page_image, png

PAGE_NS = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"


def _lines(answer: dict) -> list[dict]:
    return [line for page in answer["pages"] for region in page["regions"] for line in region["lines"]]


def test_line_read_gives_its_text_in_json(client):
    response = client.post("/v1/read", files={"file": ("line.png", line_png("the cat sat"), "image/png")},
                           data={"level": "line"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert len(answer["pages"]) == 1 and answer["pages"][0]["image"] == "line.png"
    assert [line["text"] for line in _lines(answer)] == ["the cat sat"]


def test_page_read_gives_valid_page_xml(client, page_schema):
    response = client.post("/v1/read", files={"file": ("page.png", png(page_image()), "image/png")},
                           data={"level": "page", "format": "page"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    document = etree.fromstring(response.content)
    assert page_schema.validate(document), page_schema.error_log
    assert document.find(f"{PAGE_NS}Page").get("imageFilename") == "page.png"
    texts = [line.findtext(f"{PAGE_NS}TextEquiv/{PAGE_NS}Unicode") for line in document.iter(f"{PAGE_NS}TextLine")]
    assert len(texts) == len(PAGE_TEXTS)


def test_other_formats(client, alto_schema):
    upload = {"file": ("page.png", png(page_image()), "image/png")}
    alto = client.post("/v1/read", files=upload, data={"format": "alto"})
    assert alto.status_code == 200 and alto_schema.validate(etree.fromstring(alto.content)), alto_schema.error_log
    text = client.post("/v1/read", files=upload, data={"format": "txt"})
    assert text.headers["content-type"].startswith("text/plain") and len(text.text.splitlines()) == len(PAGE_TEXTS)
    hocr = client.post("/v1/read", files=upload, data={"format": "hocr"})
    assert hocr.status_code == 200 and hocr.headers["content-type"].startswith("application/xhtml+xml")


def test_page_file_read_on_its_uploaded_image(client, tmp_path):
    """A PAGE file keeps its lines; the image it names is the one uploaded with it, even when it
    names a file that exists on the server (an absolute path, or ../ out of any folder)."""
    xml = client.post("/v1/read", files={"file": ("scan.png", png(page_image()), "image/png")},
                      data={"format": "page"}).content
    decoy = tmp_path / "decoy.png"  # an image on the server's disk, blank: read, it would give no text
    cv2.imwrite(str(decoy), np.full(page_image().shape, 255, np.uint8))
    for named in (str(decoy), "../../../../" + str(decoy), "scan.png"):
        root = etree.fromstring(xml)
        root.find(f"{PAGE_NS}Page").set("imageFilename", named)
        response = client.post("/v1/read", files={"file": ("scan.page.xml", etree.tostring(root), "application/xml"),
                                                  "image": ("upload.png", png(page_image()), "image/png")},
                               data={"level": "page"})
        assert response.status_code == 200, response.json()
        answer = response.json()
        assert answer["pages"][0]["image"] == "upload.png"
        read = [line["text"] for line in _lines(answer)]
        assert len(read) == len(PAGE_TEXTS) and all(read)  # the blank decoy would read as empty lines
    blank = client.post("/v1/read", files={"file": ("scan.page.xml", xml, "application/xml"),
                                           "image": ("blank.png", decoy.read_bytes(), "image/png")})
    assert [line["text"] for line in _lines(blank.json())] == [""] * len(PAGE_TEXTS)


def test_page_file_needs_its_image(client):
    xml = client.post("/v1/read", files={"file": ("scan.png", png(page_image()), "image/png")},
                      data={"format": "page"}).content
    response = client.post("/v1/read", files={"file": ("scan.page.xml", xml, "application/xml")})
    assert response.status_code == 422 and "page image" in response.json()["error"]
    broken = client.post("/v1/read", files={"file": ("x.xml", b"<PcGts><Page", "application/xml"),
                                            "image": ("p.png", png(page_image()), "image/png")})
    assert broken.status_code == 422 and "malformed XML" in broken.json()["error"]


def test_multi_page_tiff(client):
    frames = [Image.fromarray(page_image(PAGE_TEXTS[:1])), Image.fromarray(page_image(PAGE_TEXTS[1:2]))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    upload = {"file": ("two.tif", buffer.getvalue(), "image/tiff")}
    answer = client.post("/v1/read", files=upload, data={"format": "json"})
    assert answer.status_code == 200 and len(answer.json()["pages"]) == 2
    refused = client.post("/v1/read", files=upload, data={"format": "txt"})
    assert refused.status_code == 422 and "2 pages" in refused.json()["error"]


def test_unknown_choices_are_refused(client):
    upload = {"file": ("line.png", line_png("a cat"), "image/png")}
    for data, word in (({"model": "/etc/passwd"}, "unknown model"), ({"lm": "../../lm"}, "unknown language model"),
                       ({"level": "word"}, "level"), ({"format": "pdf"}, "format")):
        response = client.post("/v1/read", files=upload, data=data)
        assert response.status_code == 422 and word in response.json()["error"], response.json()


def test_models_lists_what_a_request_may_choose(client):
    answer = client.get("/v1/models").json()
    assert [model["name"] for model in answer["recognizers"]] == ["glyphs"]
    assert answer["recognizers"][0]["default"] and answer["recognizers"][0]["line_height"] == 32
    assert answer["segmenter"]["kind"] == "classic"
    assert [lm["name"] for lm in answer["language_models"]] == ["en"]
    assert answer["language_models"][0]["language"] == "en"


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok", "unfinished_jobs": 0, "queued_pages": 0, "workers": 1,
                                             "paused": False}


def test_blank_page_reads_as_nothing(client):
    blank = png(np.full((64, 64), 255, np.uint8))
    response = client.post("/v1/read", files={"file": ("blank.png", blank, "image/png")}, data={"format": "txt"})
    assert response.status_code == 200 and response.text.strip() == ""


def test_bundled_models_are_described_from_their_files():
    """The one test that touches the bundled models: their headers only, no weights loaded."""
    from scriptio.serve import ModelCatalog

    summary = ModelCatalog().summary()
    default, = summary["recognizers"]
    assert default["name"] == "default" and default["default"] and default["arch"] == "crnn"
    assert default["line_height"] == 48 and default["characters"] > 50 and default["val_cer"]
    assert summary["segmenter"]["kind"] == "layout" and summary["segmenter"]["targets"]
    assert {"en", "fr"} <= {lm["name"] for lm in summary["language_models"]}


def test_alto_file_read_on_its_uploaded_image(client):
    alto = client.post("/v1/read", files={"file": ("scan.png", png(page_image()), "image/png")},
                       data={"format": "alto"}).content
    root = etree.fromstring(alto)
    names = [element for element in root.iter() if etree.QName(element).localname == "fileName"]
    assert [element.text for element in names] == ["scan.png"]
    names[0].text = "/etc/passwd"
    response = client.post("/v1/read", files={"file": ("scan.alto.xml", etree.tostring(root), "application/xml"),
                                              "image": ("scan.png", png(page_image()), "image/png")},
                           data={"format": "txt"})
    assert response.status_code == 200, response.json()
    assert len([line for line in response.text.splitlines() if line.strip()]) == len(PAGE_TEXTS)
