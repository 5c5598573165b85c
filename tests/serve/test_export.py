"""POST /v1/export: a page read by POST /v1/read, its text corrected, comes back in every format
with the correction; a body that is not such a page is refused with a 422 naming the field."""
from __future__ import annotations

import copy
import json

import pytest
from lxml import etree

from tests.serve.conftest import page_image, png

PAGE_NS = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
ALTO_NS = "{http://www.loc.gov/standards/alto/ns-v4#}"
EDIT = "the corrected line"


@pytest.fixture
def read_page(client) -> dict:
    response = client.post("/v1/read", files={"file": ("scan.png", png(page_image()), "image/png")})
    assert response.status_code == 200
    return response.json()["pages"][0]


def _edited(page: dict, text: str = EDIT) -> dict:
    """The page with its first line corrected as the web page does it (no recognizer confidences)."""
    edited = copy.deepcopy(page)
    first = edited["regions"][0]["lines"][0]
    first.update(text=text, confidence=None, words=[], chars=[])
    return edited


def _page_texts(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    return [line.findtext(f"{PAGE_NS}TextEquiv/{PAGE_NS}Unicode") for line in root.iter(f"{PAGE_NS}TextLine")]


def test_every_format_carries_the_correction(client, read_page, page_schema, alto_schema):
    body = _edited(read_page)
    others = [line["text"] for region in read_page["regions"] for line in region["lines"]][1:]

    page = client.post("/v1/export?format=page", json=body)
    assert page.status_code == 200 and page.headers["content-type"].startswith("application/xml")
    assert page.headers["content-disposition"].startswith('attachment; filename="scan.page.xml"')
    root = etree.fromstring(page.content)
    assert page_schema.validate(root), page_schema.error_log
    assert _page_texts(page.content) == [EDIT, *others]
    first, second = list(root.iter(f"{PAGE_NS}TextLine"))[:2]
    assert first.find(f"{PAGE_NS}TextEquiv").get("conf") is None  # no recognizer vouches for a correction
    assert second.find(f"{PAGE_NS}Word") is not None  # an uncorrected line keeps the recognizer's words

    alto = client.post("/v1/export?format=alto", json=body)
    assert alto.status_code == 200 and alto_schema.validate(etree.fromstring(alto.content)), alto_schema.error_log
    words = [s.get("CONTENT") for s in etree.fromstring(alto.content).iter(f"{ALTO_NS}String")]
    assert " ".join(words[:3]) == EDIT

    text = client.post("/v1/export?format=txt", json=body)
    assert text.headers["content-type"].startswith("text/plain") and text.text.splitlines()[0] == EDIT

    hocr = client.post("/v1/export?format=hocr", json=body)
    assert hocr.status_code == 200 and EDIT.split()[1] in hocr.text
    assert hocr.headers["content-disposition"].startswith('attachment; filename="scan.hocr"')

    again = client.post("/v1/export?format=json", json=body).json()
    assert again["regions"][0]["lines"][0]["text"] == EDIT


def test_emptied_line_stays_empty_and_names_stay_names(client, read_page):
    body = _edited(read_page, "")
    body["regions"][0]["lines"][0]["words"] = read_page["regions"][0]["lines"][0]["words"]  # stale words kept
    body["image"] = "../../etc/Seite é.png"
    response = client.post("/v1/export?format=page", json=body)
    assert response.status_code == 200
    assert _page_texts(response.content)[0] == ""
    assert etree.fromstring(response.content).find(f"{PAGE_NS}Page").get("imageFilename") == "Seite é.png"
    assert "filename*=UTF-8''Seite%20%C3%A9.page.xml" in response.headers["content-disposition"]


@pytest.mark.parametrize("change, field", [
    (lambda page: page.pop("width"), "width"),
    (lambda page: page.update(height=0), "height"),
    (lambda page: page["regions"][0]["lines"][0].update(text=7), "text"),
    (lambda page: page["regions"][0]["lines"][0].update(polygon=[[1, 2, 3]]), "polygon"),
    (lambda page: page["regions"][0]["lines"][0].update(text="x" * 20_000), "text"),
])
def test_a_body_that_is_not_a_page_is_refused(client, read_page, change, field):
    body = copy.deepcopy(read_page)
    change(body)
    response = client.post("/v1/export?format=page", json=body)
    assert response.status_code == 422
    assert field in response.json()["error"] and "Traceback" not in response.text


def test_refusals_without_a_page(client, read_page):
    not_finite = copy.deepcopy(read_page)
    not_finite["regions"][0]["lines"][0]["polygon"][0] = [float("nan"), 3]
    response = client.post("/v1/export?format=page", content=json.dumps(not_finite),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "polygon" in response.json()["error"]

    unknown = client.post("/v1/export?format=docx", json=read_page)
    assert unknown.status_code == 422 and "format" in unknown.json()["error"]

    garbled = client.post("/v1/export", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbled.status_code == 422 and "not valid JSON" in garbled.json()["error"]
