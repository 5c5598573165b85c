"""PAGE and ALTO readers on tiny hand-written files: geometry, text, order, images and errors."""
from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

import pytest
from PIL import Image

from scriptio.data.alto import read_alto
from scriptio.data.pagexml import read_page_xml
from scriptio.data.xmlcommon import parse_points
from scriptio.errors import FormatError

NFD_CAFE = unicodedata.normalize("NFD", "Café")  # 'e' + combining acute
assert NFD_CAFE != "Café"

PAGE_2013 = f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
  <Metadata><Creator>test</Creator></Metadata>
  <Page imageFilename="page.png" imageWidth="200" imageHeight="100">
    <ReadingOrder>
      <OrderedGroup id="ro1">
        <RegionRefIndexed index="1" regionRef="r1"/>
        <RegionRefIndexed index="0" regionRef="r2"/>
      </OrderedGroup>
    </ReadingOrder>
    <TextRegion id="r1">
      <Coords points="0,0 200,0 200,50 0,50"/>
      <TextLine id="l1">
        <Coords points="10,10 190,10 190,30 10,30"/>
        <Baseline points="10,28 190,28"/>
        <TextEquiv><Unicode>{NFD_CAFE}   au   lait</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l2">
        <Coords points="10,32 190,32 190,48 10,48"/>
        <Word id="w1"><Coords points="10,32 50,32 50,48 10,48"/><TextEquiv><Unicode>two</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="60,32 90,32 90,48 60,48"/><TextEquiv><Unicode>words</Unicode></TextEquiv></Word>
      </TextLine>
      <TextLine id="l3">
        <TextEquiv><Unicode>no coords</Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
    <TextRegion id="r2">
      <Coords points="0,50 200,50 200,100 0,100"/>
      <TextLine id="l4">
        <Coords><Point x="5" y="60"/><Point x="195" y="60"/><Point x="195" y="90"/><Point x="5" y="90"/></Coords>
      </TextLine>
    </TextRegion>
    <TextRegion id="r3">
      <Coords points="0,0 1,0 1,1"/>
      <TextLine id="l5">
        <Coords points="1,1 2,1 2,2"/>
        <TextEquiv><Unicode></Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""

PAGE_2019 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
  <Metadata><Creator>test</Creator><Created>2020-01-01T00:00:00</Created></Metadata>
  <Page imageFilename="C:\\scans\\batch7\\scan.png" imageWidth="200" imageHeight="100">
    <TextRegion id="a">
      <Coords points="0,0 200,0 200,100 0,100"/>
      <TextLine id="x">
        <Coords points="1.5,2 100,2 100,20 1.5,20"/>
        <Baseline points="1.5,18 100,18"/>
        <Word id="w"><Coords points="1,2 3,2 3,4"/><TextEquiv><Unicode>ignored</Unicode></TextEquiv></Word>
        <TextEquiv index="1"><Unicode>second best</Unicode></TextEquiv>
        <TextEquiv index="0" conf="0.9"><Unicode>best</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="y">
        <Coords points="1,30 100,30 100,50 1,50"/>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""

ALTO_V2 = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v2#">
  <Description>
    <MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>images/page.png</fileName></sourceImageInformation>
  </Description>
  <Layout>
    <Page ID="p1" WIDTH="200" HEIGHT="100" PHYSICAL_IMG_NR="1">
      <PrintSpace>
        <TextBlock ID="b1" HPOS="0" VPOS="0" WIDTH="200" HEIGHT="50">
          <TextLine ID="t1" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20" BASELINE="27">
            <String CONTENT="Hello" HPOS="10" VPOS="10" WIDTH="40" HEIGHT="20"/>
            <SP WIDTH="5"/>
            <String CONTENT="wonder" HPOS="55" VPOS="10" WIDTH="50" HEIGHT="20"/>
            <HYP CONTENT="-"/>
          </TextLine>
        </TextBlock>
        <ComposedBlock ID="c1">
          <TextBlock ID="b2" HPOS="0" VPOS="50" WIDTH="200" HEIGHT="50">
            <TextLine ID="t2" HPOS="10" VPOS="60" WIDTH="80" HEIGHT="20">
              <String CONTENT="ful"/>
              <String CONTENT="day"/>
            </TextLine>
            <TextLine ID="t3" HPOS="10" VPOS="80" WIDTH="80" HEIGHT="15"/>
          </TextBlock>
        </ComposedBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""

ALTO_V4 = f"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description>
    <MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>page.png</fileName></sourceImageInformation>
  </Description>
  <Layout>
    <Page ID="p1" WIDTH="200" HEIGHT="100" PHYSICAL_IMG_NR="1">
      <PrintSpace>
        <TextBlock ID="b1">
          <TextLine ID="t1" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20" BASELINE="10,28 110,26">
            <Shape><Polygon POINTS="10,10 110,12 110,30 10,30"/></Shape>
            <String CONTENT="{NFD_CAFE}"/>
          </TextLine>
          <TextLine ID="t2" HPOS="10" VPOS="40" WIDTH="100" HEIGHT="20" BASELINE="10 58 110 57">
            <Shape><Polygon POINTS="10 40 110 40 110 60 10 60"/></Shape>
            <String CONTENT="space"/><SP/><String CONTENT="separated"/>
          </TextLine>
        </TextBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""


def write_png(path: Path, size: tuple[int, int] = (200, 100), dpi: tuple[int, int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"dpi": dpi} if dpi else {}
    Image.new("L", size, 255).save(path, **extra)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- PAGE -----------------------------------------------------------------------------------


def test_page_2013_geometry_text_and_reading_order(tmp_path: Path) -> None:
    folder = tmp_path / "mydata"
    image = write_png(folder / "page.png")
    xml = write(folder / "p001.xml", PAGE_2013)
    with pytest.warns(UserWarning, match="l3"):
        records = read_page_xml(xml)

    # r2 comes first by ReadingOrder although it is second in the document; r3 is not listed.
    assert [r.id for r in records] == ["p001_l4", "p001_l1", "p001_l2", "p001_l5"]
    assert [r.order for r in records] == [0, 1, 2, 3]
    assert [r.region for r in records] == [1, 0, 0, 2]  # document order of TextRegions
    by_id = {r.id: r for r in records}

    first = by_id["p001_l1"]
    assert first.image_path == image
    assert first.polygon == [(10, 10), (190, 10), (190, 30), (10, 30)]
    assert first.baseline == [(10, 28), (190, 28)]
    assert first.text == "Café au lait"
    assert unicodedata.is_normalized("NFC", first.text)
    assert first.dataset == "mydata" and first.page == "p001"

    assert by_id["p001_l2"].text == "two words"  # no TextEquiv on the line: Words joined
    assert by_id["p001_l2"].baseline is None
    assert by_id["p001_l4"].polygon == [(5, 60), (195, 60), (195, 90), (5, 90)]  # 2010 <Point>s
    assert by_id["p001_l4"].text is None
    assert by_id["p001_l5"].text == ""  # transcribed as empty, unlike l4


def test_page_2019_prefers_index_0_and_finds_image_by_basename(tmp_path: Path) -> None:
    image = write_png(tmp_path / "scan.png")
    xml = write(tmp_path / "doc.xml", PAGE_2019)
    records = read_page_xml(xml)
    assert [r.id for r in records] == ["doc_x", "doc_y"]
    assert records[0].image_path == image
    assert records[0].text == "best"
    assert records[0].polygon[0] == (1.5, 2.0)
    assert records[0].baseline == [(1.5, 18), (100, 18)]
    assert records[1].text is None and records[1].baseline is None


def test_page_other_namespace_version_is_accepted(tmp_path: Path) -> None:
    write_png(tmp_path / "page.png")
    text = PAGE_2013.replace("2013-07-15", "2017-07-15")
    with pytest.warns(UserWarning, match="no Coords"):
        records = read_page_xml(write(tmp_path / "p.xml", text))
    assert [r.id for r in records] == ["p_l4", "p_l1", "p_l2", "p_l5"]


# --- ALTO -----------------------------------------------------------------------------------


def test_alto_v2_numeric_baseline_hyphen_and_blocks(tmp_path: Path) -> None:
    image = write_png(tmp_path / "images" / "page.png")
    records = read_alto(write(tmp_path / "a2.xml", ALTO_V2))
    assert [r.id for r in records] == ["a2_t1", "a2_t2", "a2_t3"]
    first, second, third = records
    assert first.image_path == image
    assert first.polygon == [(10, 10), (110, 10), (110, 30), (10, 30)]
    assert first.baseline == [(10, 27), (110, 27)]  # one y value spans HPOS..HPOS+WIDTH
    assert first.text == "Hello wonder-"
    assert second.text == "ful day"  # consecutive Strings get one space
    assert second.baseline is None
    assert third.text is None
    assert [r.region for r in records] == [0, 1, 1]  # TextBlock inside ComposedBlock counts
    assert [r.order for r in records] == [0, 1, 2]
    assert first.page == "a2" and first.dataset == tmp_path.name


def test_alto_v4_polygon_and_point_baseline(tmp_path: Path) -> None:
    write_png(tmp_path / "page.png")
    first, second = read_alto(write(tmp_path / "a4.xml", ALTO_V4))
    assert first.polygon == [(10, 10), (110, 12), (110, 30), (10, 30)]
    assert first.baseline == [(10, 28), (110, 26)]
    assert first.text == "Café" and unicodedata.is_normalized("NFC", first.text)
    assert second.polygon == [(10, 40), (110, 40), (110, 60), (10, 60)]  # 'x y x y' syntax
    assert second.baseline == [(10, 58), (110, 57)]
    assert second.text == "space separated"


def test_alto_v3_namespace_is_read(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "page.png")
    records = read_alto(write(tmp_path / "a3.xml", ALTO_V2.replace("ns-v2#", "ns-v3#")))
    assert [r.text for r in records] == ["Hello wonder-", "ful day", None]


def test_alto_mm10_converted_with_page_size(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "page.png", size=(400, 200))
    text = ALTO_V2.replace(">pixel<", ">mm10<")  # Page is 200x100 units, image 400x200 px
    first = read_alto(write(tmp_path / "mm.xml", text))[0]
    assert first.polygon == [(20, 20), (220, 20), (220, 60), (20, 60)]
    assert first.baseline == [(20, 54), (220, 54)]


def test_alto_inch1200_converted_with_image_dpi(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "page.png", dpi=(300, 300))
    text = ALTO_V2.replace(">pixel<", ">inch1200<").replace(' WIDTH="200" HEIGHT="100" PHYSICAL', " PHYSICAL")
    first = read_alto(write(tmp_path / "in.xml", text))[0]
    flat = [value for point in first.polygon for value in point]  # 300 dpi: 1200 units = 300 px
    assert flat == pytest.approx([2.5, 2.5, 27.5, 2.5, 27.5, 7.5, 2.5, 7.5], abs=0.01)


def test_alto_mm10_without_scale_information_is_refused(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "page.png")
    text = ALTO_V2.replace(">pixel<", ">mm10<").replace(' WIDTH="200" HEIGHT="100" PHYSICAL', " PHYSICAL")
    with pytest.raises(FormatError, match="only pixel units are supported"):
        read_alto(write(tmp_path / "mm.xml", text))


# --- shared helpers and errors --------------------------------------------------------------


def test_parse_points_accepts_both_syntaxes(tmp_path: Path) -> None:
    assert parse_points("1,2 3,4", tmp_path, "x") == [(1, 2), (3, 4)]
    assert parse_points("1 2 3 4", tmp_path, "x") == [(1, 2), (3, 4)]
    assert parse_points("  ", tmp_path, "x") == []
    with pytest.raises(FormatError):
        parse_points("1,2 3", tmp_path, "x")
    with pytest.raises(FormatError):
        parse_points("1,a", tmp_path, "x")


@pytest.mark.parametrize("reader", [read_page_xml, read_alto])
def test_malformed_xml_is_a_format_error(tmp_path: Path, reader) -> None:
    xml = write(tmp_path / "bad.xml", "<PcGts><Page></PcGts")
    with pytest.raises(FormatError, match="malformed XML") as caught:
        reader(xml)
    assert str(xml) in str(caught.value)


@pytest.mark.parametrize("reader", [read_page_xml, read_alto])
def test_unknown_root_is_a_format_error(tmp_path: Path, reader) -> None:
    xml = write(tmp_path / "other.xml", '<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>')
    with pytest.raises(FormatError, match="root element is <html>"):
        reader(xml)


def test_wrong_reader_names_the_right_format(tmp_path: Path) -> None:
    write_png(tmp_path / "page.png")
    page = write(tmp_path / "page.xml", PAGE_2019)
    alto = write(tmp_path / "alto.xml", ALTO_V4)
    with pytest.raises(FormatError, match="PAGE XML file"):
        read_alto(page)
    with pytest.raises(FormatError, match="ALTO file"):
        read_page_xml(alto)


def test_missing_image_is_a_format_error(tmp_path: Path) -> None:
    xml = write(tmp_path / "p001.xml", PAGE_2013)
    with pytest.raises(FormatError, match="page.png") as caught:
        read_page_xml(xml)
    assert str(xml) in str(caught.value)
    assert "put the image next to the XML file" in str(caught.value)
    with pytest.raises(FormatError, match="put the image next to the XML file"):
        read_alto(write(tmp_path / "a4.xml", ALTO_V4))


def test_missing_image_name_is_a_format_error(tmp_path: Path) -> None:
    xml = write(tmp_path / "p.xml", PAGE_2019.replace('imageFilename="C:\\scans\\batch7\\scan.png" ', ""))
    with pytest.raises(FormatError, match="imageFilename"):
        read_page_xml(xml)


def test_no_warning_when_every_line_has_coords(tmp_path: Path) -> None:
    write_png(tmp_path / "scan.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = read_page_xml(write(tmp_path / "doc.xml", PAGE_2019))
    assert [(r.id, r.text) for r in records] == [("doc_x", "best"), ("doc_y", None)]
