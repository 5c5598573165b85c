"""ALTO lines: which geometry wins, units converted through the page size or the image's DPI
(EXIF rotation included), words and hyphens joined, and errors that name the file, the
attribute and the fix. (Mutation testing of data/alto.py found these behaviours unchecked.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from scriptio.data.alto import read_alto
from scriptio.errors import FormatError, InputWarning
from tests.conftest import warned_at

NS = "http://www.loc.gov/standards/alto/ns-v4#"


def write_alto(folder: Path, lines: str, unit: str = "pixel", page: str = 'WIDTH="200" HEIGHT="100"',
               image: tuple[int, int] | None = (200, 100), dpi: tuple[float, float] | None = None,
               orientation: int | None = None) -> Path:
    if image is not None:
        picture = Image.new("L", image, 255)
        extra = {"dpi": dpi} if dpi else {}
        if orientation is not None:
            exif = Image.Exif()
            exif[0x0112] = orientation
            extra["exif"] = exif
        picture.save(folder / "page.png", **extra)
    path = folder / "page.xml"
    path.write_text(f'<alto xmlns="{NS}"><Description><MeasurementUnit>{unit}</MeasurementUnit>'
                    "<sourceImageInformation><fileName>page.png</fileName></sourceImageInformation></Description>"
                    f'<Layout><Page ID="p" {page}><PrintSpace><TextBlock ID="b">{lines}</TextBlock></PrintSpace>'
                    "</Page></Layout></alto>", encoding="utf-8")
    return path


RECT = 'HPOS="10" VPOS="20" WIDTH="100" HEIGHT="30"'


def text_line(attributes: str = RECT, body: str = '<String CONTENT="x"/>', line_id: str = "l1") -> str:
    return f'<TextLine ID="{line_id}" {attributes}>{body}</TextLine>'


# --- geometry -------------------------------------------------------------------------------------


def test_a_polygon_of_three_points_is_the_outline_fewer_fall_back_to_the_rectangle(tmp_path):
    lines = (text_line(body='<Shape><Polygon POINTS="0,0 50,0 50,20"/></Shape>', line_id="tri")
             + text_line(body='<Shape><Polygon POINTS="0,0 50,0"/></Shape>', line_id="two"))
    records = read_alto(write_alto(tmp_path, lines))
    assert records[0].polygon == [(0, 0), (50, 0), (50, 20)]
    assert records[1].polygon == [(10, 20), (110, 20), (110, 50), (10, 50)]


@pytest.mark.parametrize("missing", ["HPOS", "VPOS", "WIDTH", "HEIGHT"])
def test_a_rectangle_needs_all_four_attributes(tmp_path, missing):
    attributes = " ".join(a for a in RECT.split() if not a.startswith(missing + "="))
    path = write_alto(tmp_path, text_line(attributes) + text_line(line_id="ok"))
    with pytest.warns(InputWarning) as caught:
        records = read_alto(path)
    assert [r.id for r in records] == ["page_ok"]
    assert [str(w.message) for w in caught] == [
        f"{path}: TextLine l1 has neither a Shape/Polygon of 3 points or more nor HPOS/VPOS/WIDTH/HEIGHT; line skipped"]
    assert warned_at(caught[0], __file__)


@pytest.mark.parametrize("attributes", ['VPOS="20" WIDTH="100" HEIGHT="30"', 'HPOS="10" VPOS="20" HEIGHT="30"'])
def test_a_single_value_baseline_needs_hpos_and_width(tmp_path, attributes):
    shape = '<Shape><Polygon POINTS="10,20 110,20 110,50"/></Shape>'
    [record] = read_alto(write_alto(tmp_path, text_line(f'{attributes} BASELINE="45"', shape)))
    assert record.baseline is None
    [record] = read_alto(write_alto(tmp_path, text_line(f'{RECT} BASELINE="45"', shape)))
    assert record.baseline == [(10, 45), (110, 45)]


@pytest.mark.parametrize("attribute", ["HPOS", "VPOS", "WIDTH", "HEIGHT"])
def test_a_non_number_names_the_file_the_attribute_and_the_element(tmp_path, attribute):
    attributes = RECT.replace(f'{attribute}="', f'{attribute}="1x')
    path = write_alto(tmp_path, text_line(attributes))
    with pytest.raises(FormatError) as error:
        read_alto(path)
    value = {"HPOS": "1x10", "VPOS": "1x20", "WIDTH": "1x100", "HEIGHT": "1x30"}[attribute]
    assert str(error.value) == f"{path}: {attribute}={value!r} on <TextLine> is not a number (fix the attribute value)"


def test_long_and_infinite_values_are_refused_and_shortened(tmp_path):
    long = "9" * 30 + "z" * 30
    path = write_alto(tmp_path, text_line(RECT.replace('HPOS="10"', f'HPOS="{long}"')))
    with pytest.raises(FormatError, match=f"HPOS='{long[:40]}' on <TextLine>"):
        read_alto(path)
    path = write_alto(tmp_path, text_line(f'{RECT} BASELINE="1e999"'))
    with pytest.raises(FormatError, match=r"page\.xml: BASELINE='1e999' on <TextLine> is not a number"):
        read_alto(path)


def test_unreadable_points_name_the_file_and_the_line(tmp_path):
    path = write_alto(tmp_path, text_line(body='<Shape><Polygon POINTS="0,0 5,x 9,9"/></Shape>'))
    with pytest.raises(FormatError, match=r"page\.xml: TextLine l1 Shape/Polygon: cannot read coordinates"):
        read_alto(path)
    path = write_alto(tmp_path, text_line(f'{RECT} BASELINE="0,0 5,5 9"'))
    with pytest.raises(FormatError, match=r"page\.xml: TextLine l1 BASELINE: coordinates '0,0 5,5 9' are not x,y"):
        read_alto(path)


# --- units ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page,scale", [('WIDTH="200" HEIGHT="50"', (1, 2)), ('WIDTH="100" HEIGHT="100"', (2, 1)),
                                        ('WIDTH="200" HEIGHT="100"', (1, 1)), ('WIDTH="1" HEIGHT="1"', (200, 100))])
def test_units_are_scaled_by_the_page_size_on_each_axis(tmp_path, page, scale):
    line = text_line(f'{RECT} BASELINE="10,45 110,45"')
    [record] = read_alto(write_alto(tmp_path, line, unit="mm10", page=page))
    sx, sy = scale
    assert record.polygon == [(10 * sx, 20 * sy), (110 * sx, 20 * sy), (110 * sx, 50 * sy), (10 * sx, 50 * sy)]
    assert record.baseline == [(10 * sx, 45 * sy), (110 * sx, 45 * sy)]


@pytest.mark.parametrize("orientation,swapped", [(1, False), (3, False), (5, True), (6, True), (7, True), (8, True)])
def test_an_exif_rotated_image_swaps_width_and_height(tmp_path, orientation, swapped):
    """The image is stored 100x200 and shown 200x100 when its EXIF orientation turns it."""
    path = write_alto(tmp_path, text_line(), unit="mm10", page='WIDTH="200" HEIGHT="100"', image=(100, 200),
                      orientation=orientation)
    [record] = read_alto(path)
    expected = (1, 1) if swapped else (0.5, 2)
    assert record.polygon[2] == (110 * expected[0], 50 * expected[1])


@pytest.mark.parametrize("page", ["", 'WIDTH="0" HEIGHT="100"', 'WIDTH="200" HEIGHT="0"', 'WIDTH="-200" HEIGHT="-100"',
                                  'WIDTH="200"'])
def test_without_a_usable_page_size_the_dpi_converts(tmp_path, page):
    """inch1200 at 300 x 150 dpi: 4 units a pixel across, 8 down."""
    path = write_alto(tmp_path, text_line(), unit="inch1200", page=page, dpi=(300, 150))
    [record] = read_alto(path)
    flat = [value for point in record.polygon for value in point]   # PNG stores dots per metre: not exact
    assert flat == pytest.approx([2.5, 2.5, 27.5, 2.5, 27.5, 6.25, 2.5, 6.25], abs=0.01)


@pytest.mark.parametrize("dpi", [None, (1, 1), (300, 1)])
def test_without_page_size_or_useful_dpi_units_are_refused(tmp_path, dpi):
    path = write_alto(tmp_path, text_line(), unit="mm10", page="", dpi=dpi)
    with pytest.raises(FormatError) as error:
        read_alto(path)
    assert str(error.value) == (f"{path}: coordinates are in mm10, but neither Page WIDTH/HEIGHT nor the image's DPI "
                                "tell how to convert them; only pixel units are supported otherwise (export the ALTO "
                                "with MeasurementUnit pixel)")


def test_a_dpi_of_two_is_still_a_dpi(tmp_path):
    [record] = read_alto(write_alto(tmp_path, text_line(), unit="inch1200", page="", dpi=(2, 2)))
    assert record.polygon[0] == pytest.approx((10 * 2 / 1200, 20 * 2 / 1200), rel=0.01)


def test_an_unreadable_image_is_refused_when_units_need_it(tmp_path):
    path = write_alto(tmp_path, text_line(), unit="mm10", image=None)
    (tmp_path / "page.png").write_bytes(b"not an image")
    with pytest.raises(FormatError) as error:
        read_alto(path)
    message = str(error.value)
    assert message.startswith(f"{path}: coordinates are in mm10 and the page image {tmp_path / 'page.png'} cannot be "
                              "read to convert them to pixels (")
    assert message.endswith(") (give a readable page image)")
    pixels = write_alto(tmp_path, text_line(), image=None)
    assert [r.polygon[0] for r in read_alto(pixels)] == [(10, 20)]   # pixel units never open the image


# --- text and errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("body,text", [
    ('<String CONTENT="a"/><SP/><String CONTENT="b"/><!-- note --><String CONTENT="c"/><HYP CONTENT="¬"/>', "a b c¬"),
    ('<HYP/>', "-"),
    ('<String CONTENT="con"/><HYP/>', "con-"),
    ('<String CONTENT=""/>', ""),
    ('<SP/>', None),
])
def test_words_and_hyphens_make_the_line_text(tmp_path, body, text):
    [record] = read_alto(write_alto(tmp_path, text_line(body=body)))
    assert record.text == text


def test_wrong_root_and_unnamed_image_say_what_was_expected(tmp_path):
    page = tmp_path / "page.xml"
    page.write_text('<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"/>',
                    encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_alto(page)
    assert str(error.value).startswith(f"{page}: not an ALTO file: the root element is <PcGts>")
    assert "read it as PAGE" in str(error.value)
    unnamed = tmp_path / "unnamed.xml"
    unnamed.write_text(f'<alto xmlns="{NS}"><Description/></alto>', encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_alto(unnamed)
    assert str(error.value).startswith(f"{unnamed}: the page image is not named "
                                       "(Description/sourceImageInformation/fileName is missing or empty)")
