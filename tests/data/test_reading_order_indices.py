"""PAGE reading-order `index` attributes are numbers: region 10 comes after region 2.

With eleven or more indexed entries, ordering by the attribute's text ("10" < "2") and by its
value (2 < 10) disagree, so every test here uses at least twelve entries, written to the file
in an order that is neither of the two, and document order differs from reading order too.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from scriptio.data.pagexml import read_page_xml

NS_2019 = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"

#: The order in which the RegionRefIndexed elements are written: shuffled on purpose.
WRITTEN_INDICES = [7, 11, 0, 10, 3, 1, 9, 2, 5, 8, 4, 6]


def _region(region_id: str, y: int, lines: list[tuple[str, str]]) -> str:
    """A TextRegion at height y with one 10 px high TextLine per (id, text), top to bottom."""
    body = []
    for k, (line_id, text) in enumerate(lines):
        top = y + 2 + 12 * k
        body.append(
            f'<TextLine id="{line_id}"><Coords points="5,{top} 195,{top} 195,{top + 10} 5,{top + 10}"/>'
            f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv></TextLine>")
    height = 4 + 12 * max(len(lines), 1)
    return (f'<TextRegion id="{region_id}"><Coords points="0,{y} 200,{y} 200,{y + height} 0,{y + height}"/>'
            + "".join(body) + "</TextRegion>")


def _page(reading_order: str, regions: list[str]) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{NS_2019}">'
            "<Metadata><Creator>test</Creator><Created>2020-01-01T00:00:00</Created></Metadata>"
            '<Page imageFilename="page.png" imageWidth="200" imageHeight="2000">'
            f"{reading_order}{''.join(regions)}</Page></PcGts>")


def _write_page(folder: Path, xml: str) -> Path:
    Image.new("L", (200, 2000), 255).save(folder / "page.png")
    path = folder / "p.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def test_region_ref_indices_sort_as_numbers_not_text(tmp_path: Path) -> None:
    """Twelve regions: reading order must be index 0, 1, 2, ..., 11 (text order: 0, 1, 10, 11, 2, ...)."""
    refs = "".join(f'<RegionRefIndexed index="{i}" regionRef="r{i}"/>' for i in WRITTEN_INDICES)
    reading_order = f'<ReadingOrder><OrderedGroup id="ro">{refs}</OrderedGroup></ReadingOrder>'
    # Document order is the reverse of reading order, so ignoring ReadingOrder fails too.
    regions = [_region(f"r{i}", 40 * (11 - i), [(f"l{i}", f"line {i}")]) for i in reversed(range(12))]
    records = read_page_xml(_write_page(tmp_path, _page(reading_order, regions)))

    assert [r.text for r in records] == [f"line {i}" for i in range(12)]
    assert [r.id for r in records] == [f"p_l{i}" for i in range(12)]
    assert [r.order for r in records] == list(range(12))
    assert [r.region for r in records] == [11 - i for i in range(12)]  # document order of regions


def test_nested_indexed_groups_sort_as_numbers_and_keep_their_lines_in_order(tmp_path: Path) -> None:
    """Region refs and OrderedGroupIndexed siblings share one numeric index sequence.

    The group at index 10 must come after the refs at 2..9, and inside it ref 12 after ref 3;
    each region's three lines keep their document order.
    """
    inner = ('<OrderedGroupIndexed id="g10" index="10">'
             '<RegionRefIndexed index="12" regionRef="ga"/>'
             '<RegionRefIndexed index="3" regionRef="gb"/>'
             "</OrderedGroupIndexed>")
    outer = "".join(f'<RegionRefIndexed index="{i}" regionRef="r{i}"/>'
                    for i in WRITTEN_INDICES if i != 10) + inner
    reading_order = f'<ReadingOrder><OrderedGroup id="ro">{outer}</OrderedGroup></ReadingOrder>'
    regions = [_region("ga", 0, [("ga1", "ga one"), ("ga2", "ga two"), ("ga3", "ga three")]),
               _region("gb", 50, [("gb1", "gb one"), ("gb2", "gb two"), ("gb3", "gb three")])]
    regions += [_region(f"r{i}", 100 + 40 * i, [(f"l{i}", f"line {i}")]) for i in (5, 0, 11, 2, 9, 1, 4, 3, 8, 6, 7)]
    records = read_page_xml(_write_page(tmp_path, _page(reading_order, regions)))

    expected = ([f"line {i}" for i in range(10)]
                + ["gb one", "gb two", "gb three", "ga one", "ga two", "ga three", "line 11"])
    assert [r.text for r in records] == expected


def test_text_equiv_without_index_0_takes_the_numerically_lowest_index(tmp_path: Path) -> None:
    """Alternatives indexed 10, 2 and 11: the main reading is index 2, not '10' (lowest as text)."""
    line = ('<TextLine id="t"><Coords points="5,5 195,5 195,25 5,25"/>'
            '<TextEquiv index="10"><Unicode>ten</Unicode></TextEquiv>'
            '<TextEquiv index="2"><Unicode>two</Unicode></TextEquiv>'
            '<TextEquiv index="11"><Unicode>eleven</Unicode></TextEquiv></TextLine>')
    region = f'<TextRegion id="r"><Coords points="0,0 200,0 200,30 0,30"/>{line}</TextRegion>'
    records = read_page_xml(_write_page(tmp_path, _page("", [region])))
    assert [r.text for r in records] == ["two"]
