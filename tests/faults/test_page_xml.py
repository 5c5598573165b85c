"""PAGE files as tools write them: every schema version and the https:// namespace spelling, line
polygons that cannot be cut (repaired from the baseline, or skipped, with a warning naming the
line) and repeated line ids (one notice naming the new ids)."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from scriptio.data.alto import read_alto
from scriptio.data.pagexml import read_page_xml
from scriptio.data.sources import read_xml
from scriptio.errors import InputWarning
from tests.faults.conftest import assert_clean, invoke, lines_starting

PRIMA = "schema.primaresearch.org/PAGE/gts/pagecontent/"
VERSIONS = ["2009-03-16", "2010-01-12", "2010-03-19", "2013-07-15", "2016-07-15", "2017-07-15", "2018-07-15",
            "2019-07-15"]


def page_xml(namespace: str, lines: str, version: str = "2019-07-15") -> str:
    # The 2009/2010 schemas write points as <Point> children; later ones as a points attribute.
    old = version.startswith(("2009", "2010"))
    region = ('<Coords><Point x="0" y="0"/><Point x="300" y="0"/><Point x="300" y="200"/></Coords>' if old
              else '<Coords points="0,0 300,0 300,200 0,200"/>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{namespace}">'
            f'<Page imageFilename="page.png" imageWidth="300" imageHeight="200">'
            f'<TextRegion id="r1">{region}{lines}</TextRegion></Page></PcGts>')


def line(line_id: str, points: str | None, baseline: str | None = None, text: str = "x", old: bool = False) -> str:
    coords = ""
    if points is not None:
        if old:
            pairs = [pair.split(",") for pair in points.split()]
            coords = "<Coords>" + "".join(f'<Point x="{x}" y="{y}"/>' for x, y in pairs) + "</Coords>"
        else:
            coords = f'<Coords points="{points}"/>'
    base = f'<Baseline points="{baseline}"/>' if baseline else ""
    return f'<TextLine id="{line_id}">{coords}{base}<TextEquiv><Unicode>{text}</Unicode></TextEquiv></TextLine>'


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "page.png").exists():
        image = Image.new("L", (300, 200), 255)
        image.paste(0, (30, 40, 250, 60))  # something to read
        image.save(folder / "page.png")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BOX = "20,30 280,30 280,70 20,70"


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_page_version_and_both_namespace_spellings_are_read(scheme, version, tmp_path):
    old = version.startswith(("2009", "2010"))
    text = page_xml(f"{scheme}://{PRIMA}{version}", line("l1", BOX, text="hello", old=old), version)
    path = write(tmp_path, "doc.xml", text)
    for reader in (read_page_xml, read_xml):
        records = reader(path)
        assert [(r.id, r.text) for r in records] == [("doc_l1", "hello")]
        assert records[0].polygon == [(20, 30), (280, 30), (280, 70), (20, 70)]


def test_https_page_file_is_read_by_the_command_line(tiny_model_path, tmp_path):
    path = write(tmp_path, "doc.xml", page_xml(f"https://{PRIMA}2013-07-15", line("l1", BOX)))
    result = invoke("read", "--level", "line", "--model", tiny_model_path, path)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    page = invoke("read", "--model", tiny_model_path, "--format", "page", "--output-dir", tmp_path / "out", path)
    assert page.exit_code == 0, page.output
    written = etree.parse(str(tmp_path / "out" / "doc.page.xml")).getroot()
    assert len(written.findall(".//{*}TextLine")) == 1


def test_https_alto_namespace_is_read_too(tmp_path):
    write(tmp_path, "x.xml", "")
    alto = (tmp_path / "a.xml")
    alto.write_text('<alto xmlns="https://www.loc.gov/standards/alto/ns-v4#"><Description>'
                    "<MeasurementUnit>pixel</MeasurementUnit><sourceImageInformation><fileName>page.png</fileName>"
                    '</sourceImageInformation></Description><Layout><Page><PrintSpace><TextBlock ID="b">'
                    '<TextLine ID="t" HPOS="20" VPOS="30" WIDTH="260" HEIGHT="40"><String CONTENT="hi"/></TextLine>'
                    "</TextBlock></PrintSpace></Page></Layout></alto>", encoding="utf-8")
    assert [r.text for r in read_alto(alto)] == ["hi"]


BROKEN = "".join([
    line("ok", BOX, "20,65 280,65"),
    line("outside", "400,10 500,10 500,50 400,50", "20,150 280,150"),   # off the page: band around baseline
    line("two_points", "20,100 280,100", "20,130 280,130"),            # 2 points: band around baseline
    line("no_coords", None, "20,190 280,190"),                           # no Coords: band around baseline
    line("hopeless", "20,100", None),                                    # 1 point, no baseline: skipped
    line("lost", "-50,-50 -10,-50 -10,-10", "-50,-20 -10,-20"),          # polygon and baseline off the page
])


def test_uncuttable_polygons_are_rebuilt_from_the_baseline_or_skipped_with_a_warning(tmp_path):
    path = write(tmp_path, "doc.xml", page_xml(f"http://{PRIMA}2019-07-15", BROKEN))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = read_page_xml(path)
    assert [r.id for r in records] == ["doc_ok", "doc_outside", "doc_two_points", "doc_no_coords"]
    by_id = {r.id: r for r in records}
    for name, baseline_y in (("outside", 150), ("two_points", 130), ("no_coords", 190)):
        polygon = by_id[f"doc_{name}"].polygon
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        assert len(polygon) >= 4 and min(xs) == 20 and max(xs) == 280
        assert min(ys) == pytest.approx(baseline_y - 30) and max(ys) == pytest.approx(min(baseline_y + 10, 200))
    messages = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    assert len(messages) == 5
    for name in ("outside", "two_points", "no_coords"):
        assert sum(f"'{name}'" in m and "band" in m for m in messages) == 1, messages
    for name in ("hopeless", "lost"):
        assert sum(f"'{name}'" in m and "skipped" in m for m in messages) == 1, messages


def test_repairs_and_skips_are_one_line_warnings_on_the_command_line(tiny_model_path, tmp_path):
    path = write(tmp_path, "doc.xml", page_xml(f"http://{PRIMA}2019-07-15", BROKEN))
    result = invoke("read", "--level", "line", "--model", tiny_model_path, "--output-dir", tmp_path / "out", path)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    notices = lines_starting(result, "warning:")
    assert len([n for n in notices if str(path) in n and ("band" in n or "skipped" in n)]) == 5, result.output
    assert len((tmp_path / "out" / "doc.txt").read_text(encoding="utf-8").split("\n")) == 4 + 1


def test_repeated_line_ids_are_one_notice_naming_the_new_ids(tiny_model_path, tmp_path):
    lines = line("l1", BOX) + line("l1", BOX) + line("l2", BOX) + line("l1", BOX)
    path = write(tmp_path, "doc.xml", page_xml(f"http://{PRIMA}2019-07-15", lines))
    with pytest.warns(InputWarning, match="'l1' -> 'l1_2', 'l1' -> 'l1_3'"):
        records = read_page_xml(path)
    assert [r.id for r in records] == ["doc_l1", "doc_l1_2", "doc_l2", "doc_l1_3"]

    out = tmp_path / "out"
    result = invoke("read", "--model", tiny_model_path, "--format", "page", "--output-dir", out, path)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    notices = lines_starting(result, "warning:")
    assert len(notices) == 1 and "repeated line ids renamed: 'l1' -> 'l1_2', 'l1' -> 'l1_3'" in notices[0]
    written = etree.parse(str(out / "doc.page.xml")).getroot()
    assert [e.get("id") for e in written.iter("{*}TextLine")] == ["l1", "l1_2", "l2", "l1_3"]
