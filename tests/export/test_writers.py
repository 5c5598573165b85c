"""Export writers: schema validity, round trips through our readers, and the simple formats."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from scriptio.data.alto import read_alto
from scriptio.data.pagexml import read_page_xml
from scriptio.errors import ScriptioError
from scriptio.export import FORMATS, write_page
from scriptio.export.alto import write_alto
from scriptio.export.from_records import page_from_records
from scriptio.export.hocr import write_hocr
from scriptio.export.jsonout import write_json
from scriptio.export.pagexml import write_page_xml
from scriptio.export.text import write_text
from scriptio.types import CharSpan, LineResult, Page, Region, TextLine, WordResult

XHTML = "{http://www.w3.org/1999/xhtml}"
WIDTH, HEIGHT = 400, 300

TEXTS = [
    "Café & <crème> brûlée",
    "Ça > 3 < 5 « naïve » 'x' \"y\"",
    "Übermäßig straße ½",
]


def _words(text: str, confidence: float) -> LineResult:
    """A recognizer result whose x positions are in a 200-pixel-wide normalized line."""
    words, chars, x = [], [], 0.0
    step = 200.0 / len(text)
    for token in text.split(" "):
        words.append(WordResult(token, confidence, x, x + step * len(token)))
        for ch in token:
            chars.append(CharSpan(ch, confidence, x, x + step))
            x += step
        x += step  # the space
    return LineResult(text=text, confidence=confidence, chars=chars, words=words)


def make_page(image_path: Path) -> Page:
    line1 = TextLine("l1", [(20, 20), (380, 20), (380, 60), (20, 60)], [(20, 55), (380, 52)],
                     TEXTS[0], 0.93, _words(TEXTS[0], 0.93))
    line2 = TextLine("l2", [(20, 70), (200, 65), (380, 72), (380, 110), (20, 112)],
                     [(20, 105), (200, 100), (380, 104)],
                     TEXTS[1], 0.5, None)
    line3 = TextLine("l3", [(30, 170), (370, 170), (370, 220), (30, 220)], None, TEXTS[2], None,
                     _words(TEXTS[2], 0.81))
    return Page(image_path=image_path, width=WIDTH, height=HEIGHT, regions=[
        Region("r1", [(10, 10), (390, 10), (390, 120), (10, 120)], [line1, line2]),
        Region("r2", [(20, 160), (380, 160), (380, 230), (20, 230)], [line3], kind="paragraph"),
    ])


@pytest.fixture
def page(tmp_path) -> Page:
    image = tmp_path / "page.png"
    Image.new("L", (WIDTH, HEIGHT), 255).save(image)
    return make_page(image)


def _assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert schema.validate(doc), "\n".join(str(error) for error in schema.error_log)


def test_page_xml_validates_and_round_trips(page, page_schema, tmp_path):
    data = write_page_xml(page)
    _assert_valid(page_schema, data)
    path = tmp_path / "page.page.xml"
    path.write_bytes(data)
    records = read_page_xml(path)
    assert [r.text for r in records] == TEXTS
    assert [r.polygon for r in records] == [line.polygon for line in page.lines]
    assert [r.baseline for r in records] == [line.baseline for line in page.lines]
    assert [r.region for r in records] == [0, 0, 1]
    assert [r.order for r in records] == [0, 1, 2]
    assert all(r.image_path == tmp_path / "page.png" for r in records)


def test_page_xml_content(page):
    root = etree.fromstring(write_page_xml(page))
    ns = {"pc": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    assert root.findtext("pc:Metadata/pc:Creator", namespaces=ns) == "scriptio"
    page_el = root.find("pc:Page", ns)
    assert [page_el.get(a) for a in ("imageFilename", "imageWidth", "imageHeight")] == ["page.png", "400", "300"]
    refs = page_el.findall("pc:ReadingOrder/pc:OrderedGroup/pc:RegionRefIndexed", ns)
    assert [(r.get("index"), r.get("regionRef")) for r in refs] == [("0", "r1"), ("1", "r2")]
    line1 = page_el.find("pc:TextRegion/pc:TextLine", ns)
    words = line1.findall("pc:Word", ns)
    assert [w.findtext("pc:TextEquiv/pc:Unicode", namespaces=ns) for w in words] == TEXTS[0].split(" ")
    assert words[0].find("pc:TextEquiv", ns).get("conf") == "0.93"
    first_x = [int(p.split(",")[0]) for p in words[0].find("pc:Coords", ns).get("points").split()]
    last_x = [int(p.split(",")[0]) for p in words[-1].find("pc:Coords", ns).get("points").split()]
    assert min(first_x) == 20 and max(last_x) == 380  # words span the line's box
    assert line1.findall("pc:TextEquiv", ns)[-1].get("conf") == "0.93"
    # Schema order inside TextLine: Coords, Baseline, Word..., TextEquiv.
    assert [etree.QName(c).localname for c in line1] == ["Coords", "Baseline"] + ["Word"] * 4 + ["TextEquiv"]
    assert page_el.findall("pc:TextRegion", ns)[1].get("type") == "paragraph"
    # Line 2 has no recognizer words, so no Word elements are invented for it.
    line2 = page_el.findall("pc:TextRegion/pc:TextLine", ns)[1]
    assert line2.findall("pc:Word", ns) == [] and line2.find("pc:TextEquiv", ns).get("conf") == "0.5"


def test_schemas_reject_invalid_documents(page, page_schema, alto_schema):
    """The vendored schemas really constrain: out-of-order or missing elements fail."""
    ns = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
    root = etree.fromstring(write_page_xml(page))
    line = root.find(f".//{ns}TextLine")
    line.append(line.find(f"{ns}Coords"))  # Coords after TextEquiv
    assert not page_schema.validate(root)
    alto = etree.fromstring(write_alto(page))
    alto_ns = "{http://www.loc.gov/standards/alto/ns-v4#}"
    alto.find(f"{alto_ns}Layout/{alto_ns}Page").attrib.pop("ID")
    assert not alto_schema.validate(alto)


def test_alto_validates_and_round_trips(page, alto_schema, tmp_path):
    data = write_alto(page)
    _assert_valid(alto_schema, data)
    path = tmp_path / "page.alto.xml"
    path.write_bytes(data)
    records = read_alto(path)
    assert [r.text for r in records] == TEXTS
    assert [r.polygon for r in records] == [line.polygon for line in page.lines]
    assert [r.baseline for r in records] == [line.baseline for line in page.lines]
    assert [r.region for r in records] == [0, 0, 1]
    assert all(r.image_path == tmp_path / "page.png" for r in records)


def test_alto_strings(page):
    root = etree.fromstring(write_alto(page))
    ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    assert root.findtext("a:Description/a:MeasurementUnit", namespaces=ns) == "pixel"
    line = root.find(".//a:TextLine", ns)
    assert (line.get("HPOS"), line.get("VPOS"), line.get("WIDTH"), line.get("HEIGHT")) == ("20", "20", "360", "40")
    assert line.get("BASELINE") == "20,55 380,52"
    kinds = [etree.QName(c).localname for c in line]
    assert kinds == ["Shape", "String", "SP", "String", "SP", "String", "SP", "String"]
    strings = line.findall("a:String", ns)
    assert [s.get("CONTENT") for s in strings] == TEXTS[0].split(" ")
    assert {s.get("WC") for s in strings} == {"0.93"}
    assert float(strings[0].get("HPOS")) == 20
    # Line 2 has no recognizer words: strings come from its text, without WC.
    line2 = root.findall(".//a:TextLine", ns)[1]
    assert [s.get("CONTENT") for s in line2.findall("a:String", ns)] == TEXTS[1].split(" ")
    assert all(s.get("WC") is None for s in line2.findall("a:String", ns))


def test_hocr(page):
    data = write_hocr(page)
    root = etree.fromstring(data)  # well-formed XHTML
    assert data.startswith(b"<?xml")
    lines = [e for e in root.iter(f"{XHTML}span") if e.get("class") == "ocr_line"]
    assert len(lines) == 3
    titles = [line.get("title") for line in lines]
    assert titles[0].startswith("bbox 20 20 380 60; baseline ")
    assert titles[1].startswith("bbox 20 65 380 112; baseline ")
    assert titles[2] == "bbox 30 170 370 220"
    words = [e for e in lines[0] if e.get("class") == "ocrx_word"]
    assert [w.text for w in words] == TEXTS[0].split(" ")
    assert all("x_wconf 93" in w.get("title") for w in words)
    assert "".join(lines[1].itertext()) == TEXTS[1]
    assert len([e for e in root.iter(f"{XHTML}div") if e.get("class") == "ocr_carea"]) == 2
    page_div = next(e for e in root.iter(f"{XHTML}div") if e.get("class") == "ocr_page")
    assert page_div.get("title") == 'image "page.png"; bbox 0 0 400 300; ppageno 0'
    # baseline: y = slope * (x - x0) + offset, relative to the bbox's bottom-left corner (20, 60)
    slope, offset = map(float, titles[0].split("baseline ")[1].split())
    assert slope == pytest.approx(-3 / 360, abs=1e-4) and offset == pytest.approx(-5, abs=0.05)


def test_json(page):
    document = json.loads(write_json(page).decode("utf-8"))
    assert (document["image"], document["width"], document["height"]) == ("page.png", 400, 300)
    lines = [line for region in document["regions"] for line in region["lines"]]
    assert [line["text"] for line in lines] == TEXTS
    assert lines[0]["polygon"] == [[20, 20], [380, 20], [380, 60], [20, 60]]
    assert lines[2]["baseline"] is None
    assert [w["text"] for w in lines[0]["words"]] == TEXTS[0].split(" ")
    assert lines[0]["chars"][0]["char"] == "C"
    assert lines[1]["words"] == [] and lines[2]["confidence"] == pytest.approx(0.81)
    assert "Café" in write_json(page).decode("utf-8")  # not \u-escaped


def test_text(page):
    assert write_text(page).decode("utf-8") == f"{TEXTS[0]}\n{TEXTS[1]}\n\n{TEXTS[2]}\n"
    assert write_text(Page(None, 10, 10)) == b""


def test_formats_registry(page, tmp_path):
    """Each format name writes that format, with the page's text, under its own extension."""
    assert {name: fmt.extension for name, fmt in FORMATS.items()} == {
        "txt": ".txt", "json": ".json", "page": ".page.xml", "alto": ".alto.xml", "hocr": ".hocr"}
    assert write_page(page, "txt").decode("utf-8") == f"{TEXTS[0]}\n{TEXTS[1]}\n\n{TEXTS[2]}\n"
    document = json.loads(write_page(page, "json"))
    assert [line["text"] for region in document["regions"] for line in region["lines"]] == TEXTS
    hocr = etree.fromstring(write_page(page, "hocr"))
    assert hocr.tag == f"{XHTML}html"
    assert ["".join(e.itertext()) for e in hocr.iter(f"{XHTML}span") if e.get("class") == "ocr_line"] == TEXTS
    readers = {"page": read_page_xml, "alto": read_alto}
    roots = {"page": "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}PcGts",
             "alto": "{http://www.loc.gov/standards/alto/ns-v4#}alto"}
    for name, read in readers.items():
        data = write_page(page, name)
        assert etree.fromstring(data).tag == roots[name]
        path = tmp_path / f"page{FORMATS[name].extension}"
        path.write_bytes(data)
        assert [record.text for record in read(path)] == TEXTS
    with pytest.raises(ScriptioError, match="unknown output format 'docx'.*txt, json, page, alto, hocr"):
        write_page(page, "docx")


def test_layout_formats_leave_out_non_text_lines_only_where_they_cannot_flag_them(page):
    """Lines judged not writing are dropped from the text formats but kept (flagged) in JSON."""
    page.lines[1].is_text = False
    assert write_page(page, "txt").decode("utf-8") == f"{TEXTS[0]}\n\n{TEXTS[2]}\n"
    assert [line.text for line in page.lines] == TEXTS  # the page itself is left as it was
    document = json.loads(write_page(page, "json"))
    lines = [line for region in document["regions"] for line in region["lines"]]
    assert [(line["text"], line["is_text"]) for line in lines] == [(TEXTS[0], True), (TEXTS[1], False),
                                                                    (TEXTS[2], True)]
    kept = etree.fromstring(write_page(page, "page"))
    ns = {"pc": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    assert [line.get("id") for line in kept.iterfind(".//pc:TextLine", ns)] == ["l1", "l3"]


def test_awkward_pages_still_validate(page_schema, alto_schema, tmp_path):
    """Odd ids, fractional and out-of-page coordinates, empty lines and regions, control chars."""
    awkward = Page(image_path=Path("C:\\scans\\img 1.png"), width=100, height=50, regions=[
        Region("1 bad id", [], [
            TextLine("1", [(-3.4, 2.6), (99.5, 2.2), (120, 20), (0, 20)], [(0, 18.25), (100, 18.5)], "a\x00b\tc"),
            TextLine("1", [(5, 25)], None, ""),
            TextLine("x", [(5, 30), (50, 30), (50, 45), (5, 45)], None, "",
                     result=LineResult("rec ognized", 1.2, words=[WordResult("rec", float("nan"), 0, 5),
                                                                  WordResult("ognized", -1, 6, 20)])),
        ]),
        Region("empty", [(0, 0), (10, 0), (10, 10)], []),
    ])
    page_xml = write_page_xml(awkward)
    _assert_valid(page_schema, page_xml)
    _assert_valid(alto_schema, write_alto(awkward))
    ids = [e.get("id") for e in etree.fromstring(page_xml).iter() if e.get("id")]
    assert ids[1:4] == ["_1_bad_id", "_1", "_1_2"] and len(set(ids)) == len(ids)
    assert b'imageFilename="img 1.png"' in page_xml
    hocr = etree.fromstring(write_hocr(awkward))
    boxes = [e.get("title") for e in hocr.iter() if (e.get("title") or "").startswith("bbox")]
    assert boxes and not any("-" in title.split(";")[0] for title in boxes)  # clipped to the page
    json.loads(write_json(awkward))
    assert write_text(awkward).decode() == "ab c\n\nrec ognized\n"


def test_page_from_records_round_trip(page, tmp_path):
    (tmp_path / "page.page.xml").write_bytes(write_page_xml(page))
    records = read_page_xml(tmp_path / "page.page.xml")
    rebuilt = page_from_records(records, WIDTH, HEIGHT, tmp_path / "page.png")
    assert [region.id for region in rebuilt.regions] == ["r1", "r2"]
    assert [line.id for line in rebuilt.lines] == ["l1", "l2", "l3"]
    assert rebuilt.regions[0].polygon == [(20, 20), (380, 20), (380, 112), (20, 112)]
    (tmp_path / "again.page.xml").write_bytes(write_page_xml(rebuilt))
    again = read_page_xml(tmp_path / "again.page.xml")
    assert [(r.text, r.polygon, r.baseline, r.region) for r in again] == \
        [(r.text, r.polygon, r.baseline, r.region) for r in records]
