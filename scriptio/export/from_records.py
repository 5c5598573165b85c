"""Turn LineRecords from the PAGE/ALTO readers back into a Page, e.g. to re-export a file."""
from __future__ import annotations

from pathlib import Path

from scriptio.export._common import bbox, union
from scriptio.types import LineRecord, Page, Point, Region, TextLine


def page_from_records(records: list[LineRecord], width: int, height: int,
                      image_path: Path | str | None) -> Page:
    """A Page whose regions group the records by their `region` field.

    Records are taken in `order` (the readers' reading order); regions appear in the order of
    their first line. The records carry no region outlines, so each region's polygon is the
    rectangle around its lines. A record without a polygon is a line image of its own and
    covers the whole page. Line ids drop the '<page>_' prefix the readers add, so that
    re-exported files keep the original ids.
    """
    regions: dict[object, Region] = {}
    whole_page: list[Point] = [(0, 0), (width, 0), (width, height), (0, height)]
    for record in sorted(records, key=lambda r: r.order):
        key = record.region
        if key not in regions:
            regions[key] = Region(id=f"r{len(regions) + 1}", polygon=[])
        line_id = record.id
        if record.page and line_id.startswith(f"{record.page}_") and len(line_id) > len(record.page) + 1:
            line_id = line_id[len(record.page) + 1:]
        regions[key].lines.append(TextLine(
            id=line_id,
            polygon=list(record.polygon) if record.polygon else list(whole_page),
            baseline=list(record.baseline) if record.baseline else None,
            text=record.text or "",
        ))
    for region in regions.values():
        box = union([bbox(line.polygon) for line in region.lines])
        if box is not None:
            x0, y0, x1, y1 = box
            region.polygon = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return Page(image_path=Path(image_path) if image_path is not None else None,
                width=int(width), height=int(height), regions=list(regions.values()))
