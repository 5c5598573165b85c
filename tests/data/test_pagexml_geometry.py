"""PAGE lines measured against the page the file declares, rebuilt from baselines when their
Coords cannot be cut, and regions found in nested reading-order groups. (Mutation testing of
data/pagexml.py found these behaviours unchecked.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from scriptio.data.pagexml import DEFAULT_LINE_HEIGHT, read_page_xml
from scriptio.errors import FormatError, InputWarning
from tests.conftest import warned_at

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"


def box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f'<Coords points="{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"/>'


def line(line_id: str, coords: str = "", baseline: str = "", text: str | None = None) -> str:
    base = f'<Baseline points="{baseline}"/>' if baseline else ""
    equiv = f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv>" if text is not None else ""
    return f'<TextLine id="{line_id}">{coords}{base}{equiv}</TextLine>'


def write_page(folder: Path, body: str, size: str = 'imageWidth="1000" imageHeight="800"',
               image: tuple[int, int] = (200, 100), reading_order: str = "") -> Path:
    Image.new("L", image, 255).save(folder / "page.png")
    path = folder / "page.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{NS}">'
                    f'<Page imageFilename="page.png" {size}>{reading_order}{body}</Page></PcGts>', encoding="utf-8")
    return path


def region(region_id: str, *lines: str) -> str:
    return f'<TextRegion id="{region_id}">{box(0, 0, 10, 10)}{"".join(lines)}</TextRegion>'


def test_coordinates_are_checked_against_the_declared_page_size_not_the_image(tmp_path):
    """imageWidth/imageHeight say 1000x800 (the image file is a 200x100 thumbnail): a line at
    x 500-900 is on that page, a line at y 900 is off it; each attribute counts on its own."""
    body = region("r", line("on", box(500, 400, 900, 450), text="kept"),
                  line("below", box(10, 900, 300, 950), "10,790 300,790", text="rebuilt"))
    with pytest.warns(InputWarning, match="outside the 1000x800 page"):
        records = read_page_xml(write_page(tmp_path, body))
    assert [r.text for r in records] == ["kept", "rebuilt"]
    assert records[0].polygon == [(500, 400), (900, 400), (900, 450), (500, 450)]
    assert max(y for _, y in records[1].polygon) == 800   # the band, clipped to the declared page

    wide = region("r", line("l", box(10, 150, 300, 190), text="in"))
    assert [r.text for r in read_page_xml(write_page(tmp_path, wide, 'imageWidth="1000" imageHeight="800"'))] == ["in"]
    unusable = ['imageWidth="1000"', 'imageHeight="800"', 'imageWidth="0" imageHeight="800"',
                'imageWidth="1000" imageHeight="0"', 'imageWidth="-5" imageHeight="800"',
                'imageWidth="inf" imageHeight="800"', 'imageWidth="1000" imageHeight="nan"', 'imageWidth="wide"', ""]
    for size in unusable:
        with pytest.warns(InputWarning, match="outside the 200x100 page"):   # back to the image's own size
            assert read_page_xml(write_page(tmp_path, wide, size)) == [], size
    with pytest.warns(InputWarning, match="outside the 1x1 page"):   # tiny, but a size
        read_page_xml(write_page(tmp_path, wide, 'imageWidth="1" imageHeight="1"'))


def test_without_a_size_or_a_readable_image_lines_are_not_checked(tmp_path):
    body = region("r", line("far", box(5000, 5000, 5100, 5050), text="far"))
    path = write_page(tmp_path, body, size="")
    (tmp_path / "page.png").write_bytes(b"not a png")
    assert [r.polygon for r in read_page_xml(path)] == [[(5000, 5000), (5100, 5000), (5100, 5050), (5000, 5050)]]


POINTS_2010 = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2010-03-19"


def page_2010(folder: Path, coords: str) -> Path:
    Image.new("L", (200, 100), 255).save(folder / "page.png")
    path = folder / "old.xml"
    path.write_text(f'<PcGts xmlns="{POINTS_2010}"><Page imageFilename="page.png" imageWidth="200" imageHeight="100">'
                    f'<TextRegion id="r"><TextLine id="l"><Coords>{coords}</Coords></TextLine></TextRegion>'
                    "</Page></PcGts>", encoding="utf-8")
    return path


def test_2010_point_elements_are_read_and_comments_among_them_ignored(tmp_path):
    coords = '<Point x="5" y="60"/><!-- corner --><Point x="195.5" y="60"/><Point x="195" y="90"/>'
    [record] = read_page_xml(page_2010(tmp_path, coords))
    assert record.polygon == [(5, 60), (195.5, 60), (195, 90)]


@pytest.mark.parametrize("point", ['<Point y="60"/>', '<Point x="5"/>', '<Point x="five" y="60"/>',
                                   '<Point x="5" y="inf"/>'])
def test_2010_points_without_numeric_x_and_y_are_a_format_error(tmp_path, point):
    coords = f'<Point x="5" y="60"/>{point}<Point x="195" y="90"/>'
    path = page_2010(tmp_path, coords)
    with pytest.raises(FormatError) as error:
        read_page_xml(path)
    assert str(error.value) == (f"{path}: TextLine l Coords: <Point> without numeric x and y "
                                "(give every Point numeric x and y attributes)")


def test_unreadable_points_name_the_file_and_the_line(tmp_path):
    body = region("r", line("l7", '<Coords points="1,2 3,x 5,6"/>'))
    with pytest.raises(FormatError, match=r"page\.xml.*TextLine l7 Coords: cannot read coordinates"):
        read_page_xml(write_page(tmp_path, body))
    body = region("r", line("l8", box(0, 0, 50, 20), baseline="1,2 3"))
    with pytest.raises(FormatError, match=r"page\.xml.*TextLine l8 Baseline: coordinates '1,2 3' are not x,y pairs"):
        read_page_xml(write_page(tmp_path, body))


def test_a_rebuilt_band_is_as_high_as_the_other_lines_median(tmp_path):
    """Lines 20, 30 and 100 px high: median 30, so the band is 22.5 px above the baseline and 7.5
    below; the broken line's own (huge) Coords do not count."""
    body = region("r", line("a", box(0, 0, 100, 20), text="a"), line("b", box(0, 30, 100, 60), text="b"),
                  line("c", box(0, 70, 100, 170), text="c"),
                  line("d", "<Coords points=\"0,0 100,0\"/>", "10,300 110,300", text="d"))
    with pytest.warns(InputWarning) as caught:
        records = read_page_xml(write_page(tmp_path, body))
    assert records[-1].polygon == [(10, 277.5), (110, 277.5), (110, 307.5), (10, 307.5)]
    assert [str(w.message).split("; ", 1)[-1] for w in caught] == ["read from a band 30 px high around its Baseline"]
    assert warned_at(caught[0], __file__)   # the warning points at the caller of read_page_xml


def test_without_other_lines_the_band_has_the_default_height(tmp_path):
    body = region("r", line("d", "", "10,300 110,300", text="d"))
    with pytest.warns(InputWarning, match=f"band {DEFAULT_LINE_HEIGHT:.0f} px high"):
        [record] = read_page_xml(write_page(tmp_path, body))
    assert record.polygon[0] == (10, 300 - 0.75 * DEFAULT_LINE_HEIGHT)


def test_a_band_is_never_lower_than_8_px(tmp_path):
    body = region("r", line("flat", box(0, 10, 100, 12), text="a"), line("d", "", "10,300 110,300", text="d"))
    with pytest.warns(InputWarning, match="band 8 px high"):
        records = read_page_xml(write_page(tmp_path, body))
    assert records[-1].polygon == [(10, 294), (110, 294), (110, 302), (10, 302)]


def test_nested_groups_and_groups_that_are_regions_are_followed(tmp_path):
    """An OrderedGroup may name a region itself (regionRef) and hold an UnorderedGroup; comments
    and unknown elements inside groups are ignored."""
    order = ('<ReadingOrder><OrderedGroup id="g" regionRef="r3">'
             '<!-- a comment --><Labels/>'
             '<UnorderedGroupIndexed id="u" index="1" regionRef="r0"><RegionRef regionRef="r2"/></UnorderedGroupIndexed>'
             '<RegionRefIndexed index="0" regionRef="r1"/>'
             '</OrderedGroup></ReadingOrder>')
    body = "".join(region(f"r{i}", line(f"l{i}", box(10, 10 + 20 * i, 190, 25 + 20 * i), text=f"t{i}"))
                   for i in range(4))
    records = read_page_xml(write_page(tmp_path, body, reading_order=order))
    assert [r.text for r in records] == ["t3", "t1", "t0", "t2"]


def test_a_region_named_twice_or_unknown_in_the_reading_order_is_read_once(tmp_path):
    order = ('<ReadingOrder><OrderedGroup id="g"><RegionRefIndexed index="0" regionRef="r1"/>'
             '<RegionRefIndexed index="1" regionRef="image9"/><RegionRefIndexed index="2" regionRef="r1"/>'
             '<RegionRefIndexed index="3" regionRef="r0"/></OrderedGroup></ReadingOrder>')
    body = "".join(region(f"r{i}", line(f"l{i}", box(10, 10 + 20 * i, 190, 25 + 20 * i), text=f"t{i}"))
                   for i in range(3))
    records = read_page_xml(write_page(tmp_path, body, reading_order=order))
    assert [r.text for r in records] == ["t1", "t0", "t2"]   # r2, not in the order, comes last


# --- messages and text --------------------------------------------------------------------------


def test_errors_name_the_file_the_problem_and_the_fix(tmp_path):
    alto = tmp_path / "alto.xml"
    alto.write_text('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"/>', encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_page_xml(alto)
    assert str(error.value) == (f"{alto}: not a PAGE XML file: the root element is <alto> in namespace "
                                "http://www.loc.gov/standards/alto/ns-v4# (this is an ALTO file: read it as ALTO "
                                "(scriptio.data.alto.read_alto))")
    empty = tmp_path / "empty.xml"
    empty.write_text(f'<PcGts xmlns="{NS}"><Metadata/></PcGts>', encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_page_xml(empty)
    assert str(error.value) == f"{empty}: PAGE file has no <Page> element (re-export the PAGE file)"
    unnamed = tmp_path / "unnamed.xml"
    unnamed.write_text(f'<PcGts xmlns="{NS}"><Page imageWidth="10" imageHeight="10"/></PcGts>', encoding="utf-8")
    with pytest.raises(FormatError, match=r"^.*unnamed\.xml: the page image is not named \(Page/@imageFilename is "
                                          r"missing or empty\) \(set Page/@imageFilename to the image"):
        read_page_xml(unnamed)


def test_lines_without_ids_are_numbered_and_repeats_renamed_with_one_warning(tmp_path):
    body = region("r", line("", box(0, 0, 50, 20), text="a").replace(' id=""', ""),
                  line("x", box(0, 20, 50, 40), text="b"), line("x", box(0, 40, 50, 60), text="c"),
                  line("", box(0, 60, 50, 80), text="d").replace(' id=""', ""))
    path = write_page(tmp_path, body)
    with pytest.warns(InputWarning) as caught:
        records = read_page_xml(path)
    assert [r.id for r in records] == ["page_line1", "page_x", "page_x_2", "page_line4"]
    assert [str(w.message) for w in caught] == [f"{path}: repeated line ids renamed: 'x' -> 'x_2'"]


def test_text_comes_from_unicode_then_plaintext_then_words(tmp_path):
    body = region(
        "r",
        '<TextLine id="u">' + box(0, 0, 50, 20) + "<TextEquiv><PlainText>plain</PlainText>"
        "<Unicode>uni<b>co</b>de</Unicode></TextEquiv></TextLine>",
        '<TextLine id="p">' + box(0, 20, 50, 40) + "<TextEquiv><PlainText> only  plain </PlainText></TextEquiv></TextLine>",
        '<TextLine id="w">' + box(0, 40, 50, 60) + '<Word id="w1"><TextEquiv><Unicode>two</Unicode></TextEquiv></Word>'
        '<Word id="w2"><TextEquiv><Unicode>words</Unicode></TextEquiv></Word></TextLine>',
        '<TextLine id="n">' + box(0, 60, 50, 80) + "<TextEquiv/></TextLine>")
    records = read_page_xml(write_page(tmp_path, body))
    assert [r.text for r in records] == ["unicode", "only plain", "two words", None]


def test_a_line_that_cannot_be_cut_nor_rebuilt_is_skipped_with_a_warning_at_the_caller(tmp_path):
    body = region("r", line("gone", box(900, 900, 950, 950), "900,940 950,940", text="x"),
                  line("kept", box(0, 0, 50, 20), text="y"))
    path = write_page(tmp_path, body, size='imageWidth="200" imageHeight="100"')
    with pytest.warns(InputWarning) as caught:
        records = read_page_xml(path)
    assert [r.text for r in records] == ["y"]
    assert [str(w.message) for w in caught] == [
        f"{path}: TextLine 'gone' has Coords outside the 200x100 page and no Baseline on the page to rebuild "
        "them from; line skipped"]
    assert warned_at(caught[0], __file__)
