"""The "stroke_mask" step must spare the line's own strokes that run into the crop's edge.

A line crop is cut tight around its polygon (or is a bounding-box line image), so a tall
ascender or capital of the line itself often reaches the crop's top edge, exactly where the
neighbouring line's descenders come in. Only the neighbours' strokes may be erased: with a
polygon, the strokes lying mostly outside it; without one, the strokes entering from an edge
that never reach the line's core band. Both sides are checked on the same synthetic line,
including the anti-aliased rims the stroke-edge growing is there to carry along.
"""
from __future__ import annotations

import numpy as np

from scriptio.image.normalize import crop_to_polygon, extract_line, mask_polygon

PAPER = 220
INK = 10
RIM = 170  # anti-aliased stroke edge: lighter than Otsu's ink threshold, darker than paper


def _stroke(image: np.ndarray, rows: slice, x0: int, x1: int) -> None:
    """A vertical stroke of solid ink over columns x0:x1 with one-pixel anti-aliased rims."""
    image[rows, x0 - 1] = RIM
    image[rows, x1] = RIM
    image[rows, x0:x1] = INK


def _line_crop() -> tuple[np.ndarray, np.ndarray]:
    """A 60 x 200 crop and its line polygon (rows 15 to 55).

    Ours: a capital T and an ascender, both running from the top edge (row 0) down into the
    x-height writing, each with most of its ink inside the polygon. Theirs: a descender of the
    line above entering from row 0 and ending just inside the polygon (4 of its 19 rows).
    """
    image = np.full((60, 200), PAPER, np.uint8)
    _stroke(image, slice(0, 52), 16, 20)   # the capital's stem
    image[0:3, 10:26] = INK        # the capital's bar, at the very top edge
    _stroke(image, slice(0, 50), 40, 44)   # an ascender
    image[35:50, 60:150] = np.where(np.arange(90) % 6 < 2, INK, PAPER)  # x-height writing
    _stroke(image, slice(0, 19), 170, 174)  # the neighbour's descender
    polygon = np.array([[0, 15], [199, 15], [199, 55], [0, 55]], np.float32)
    return image, polygon


def test_polygon_stroke_mask_keeps_own_strokes_touching_the_top_edge() -> None:
    """The capital and ascender cut by the polygon's top stay whole, up to crop row 0."""
    image, polygon = _line_crop()
    kept = mask_polygon(image, polygon, keep_strokes=True)
    assert kept[0:3, 10:26].max() == INK and kept[0:3, 10:26].min() == INK  # capital's bar
    assert np.array_equal(kept[0:52, 15:21], image[0:52, 15:21])  # capital's stem with rims
    assert np.array_equal(kept[0:50, 39:45], image[0:50, 39:45])  # ascender with rims
    assert np.array_equal(kept[35:50, 60:150], image[35:50, 60:150])
    # The neighbour goes, rims included; only its tip inside the polygon stays (as with "mask").
    assert kept[0:13, 169:175].min() == PAPER
    assert (kept[15:19, 170:174] == INK).all()
    # Without keep_strokes the same strokes are cut at the polygon: the test image is one the
    # sparing has to act on.
    plain = mask_polygon(image, polygon)
    assert plain[0:13, 15:21].min() == PAPER and plain[0:13, 39:45].min() == PAPER


def test_extract_line_stroke_mask_keeps_an_ascender_cut_by_the_crop_edge() -> None:
    """On a page: the crop's top edge slices through our ascender above a notched polygon.

    The polygon reaches up to y=100 only over the left part of the line, so the crop starts at
    y=98 while over the rest of the line the polygon's top is y=115. Our ascender there runs
    from y=70 (above the crop) to y=145: it touches the crop's top edge and two thirds of its
    cropped ink lies inside the polygon. The neighbour's descender ends at y=118.
    """
    page = np.full((300, 400), PAPER, np.uint8)
    page[120:145, 20:380] = np.where(np.arange(360) % 7 < 2, INK, PAPER)  # the line's writing
    _stroke(page, slice(104, 145), 30, 34)   # a capital under the high part of the polygon
    _stroke(page, slice(70, 146), 200, 204)  # our ascender, cut by the crop's top edge
    _stroke(page, slice(60, 119), 300, 304)  # the neighbour's descender
    polygon = [(10, 100), (60, 100), (60, 115), (390, 115), (390, 150), (10, 150)]
    crop, _, _ = crop_to_polygon(page, polygon)
    x0, y0 = 8, 98  # the crop's corner on the page: the polygon's box less 2 px of padding
    assert crop.shape == (150 + 2 + 1 - y0, 390 + 2 + 1 - x0)
    line = extract_line(page, polygon, height=crop.shape[0], steps=("stroke_mask",))
    assert line.shape == crop.shape  # no resampling: pixels compare one to one

    ascender = np.s_[0:146 - y0, 199 - x0:205 - x0]  # rims included
    capital = np.s_[104 - y0:145 - y0, 29 - x0:35 - x0]
    assert np.array_equal(line[ascender], crop[ascender])  # the whole ascender stays
    assert (line[0, 200 - x0:204 - x0] == INK).all()  # right up to the crop's top edge
    assert np.array_equal(line[capital], crop[capital])
    assert line[0:114 - y0, 299 - x0:305 - x0].min() == PAPER  # the neighbour is gone above the polygon
    # The plain mask would cut the ascender: the crop's top rows really are outside the polygon.
    plain = extract_line(page, polygon, height=crop.shape[0], steps=("mask",))
    assert plain[0:114 - y0, 199 - x0:205 - x0].min() == PAPER


def _bounding_box_line() -> np.ndarray:
    """A 60 x 200 line image without a polygon: core band on rows 25 to 40.

    Ours: an ascender and a capital T from row 0 into the core, a descender from the core down
    to the last row. Theirs: a descender from row 0 and an ascender from row 59 that stop short
    of the core.
    """
    image = np.full((60, 200), PAPER, np.uint8)
    image[25:40, 20:180] = np.where(np.arange(160) % 6 < 2, INK, PAPER)  # core band strokes
    _stroke(image, slice(0, 40), 10, 13)      # our ascender, from the top edge into the core
    _stroke(image, slice(0, 40), 90, 94)      # our capital's stem, down to the baseline
    image[0:3, 84:100] = INK                  # and its bar, at the top edge
    _stroke(image, slice(25, 60), 120, 123)   # our descender, down to the bottom edge
    _stroke(image, slice(0, 14), 150, 153)    # the neighbour's descender from the top
    _stroke(image, slice(50, 60), 60, 63)     # the neighbour's ascender from the bottom
    return image


def test_without_polygon_own_strokes_touching_the_edges_are_spared() -> None:
    """drop_border_intruders drops edge strokes that miss the core, never ones that reach it."""
    image = _bounding_box_line()
    kept = extract_line(image, None, height=image.shape[0], steps=("stroke_mask",))
    assert kept.shape == image.shape
    assert np.array_equal(kept[0:40, 9:14], image[0:40, 9:14])      # our ascender, rims too
    assert np.array_equal(kept[0:3, 84:100], image[0:3, 84:100])    # our capital's bar
    assert np.array_equal(kept[0:40, 89:95], image[0:40, 89:95])    # and stem
    assert np.array_equal(kept[25:60, 119:124], image[25:60, 119:124])  # our descender
    assert np.array_equal(kept[25:40, 20:180], image[25:40, 20:180])    # the core band
    assert kept[0:14, 149:154].min() == PAPER   # the neighbours' strokes go, rims included
    assert kept[50:60, 59:64].min() == PAPER
