"""Lines sharing a text row are read left to right, whatever order they arrive in.

A row split into pieces (a table row, a line broken by a wide gap, side-by-side entries) must
come out left to right, between the rows above and below. The pieces here are given
right to left, and the right-hand ones sit a few pixels higher, so neither input order nor
vertical position nor baseline height can stand in for ordering by x.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scriptio.layout.regions import Box, order_lines

#: Three rows: two pieces on top, three in the middle, two below; every row given right to left
#: and interleaved with the others. (x0, y0, x1, y1); the right-hand pieces sit higher.
BOXES: list[Box] = [
    (460, 100, 700, 140),  # 0: middle row, right
    (30, 192, 400, 232),   # 1: bottom row, left (left of every middle-row piece)
    (240, 102, 420, 142),  # 2: middle row, centre
    (350, 10, 600, 50),    # 3: top row, right
    (20, 104, 200, 144),   # 4: middle row, left
    (50, 12, 300, 52),     # 5: top row, left
    (450, 190, 650, 230),  # 6: bottom row, right
]
#: Mean baseline heights: like the boxes, the right-hand pieces' baselines are a little higher.
LEVELS = [136.0, 228.0, 138.0, 46.0, 140.0, 48.0, 226.0]
SPACING = 90.0
READING_ORDER = [5, 3, 4, 2, 0, 1, 6]


def test_same_row_lines_go_left_to_right_by_baseline_levels() -> None:
    """The levels path (what segment_page uses): rows by baseline, pieces by x."""
    assert order_lines(BOXES, LEVELS, spacing=SPACING) == READING_ORDER


def test_same_row_lines_go_left_to_right_by_boxes() -> None:
    """The boxes-only path (no levels, or no spacing): rows by box overlap, pieces by x."""
    assert order_lines(BOXES) == READING_ORDER
    assert order_lines(BOXES, LEVELS, spacing=0.0) == READING_ORDER


def test_a_single_row_given_right_to_left_is_reversed() -> None:
    """Four pieces of one row, each a little higher than the one to its left."""
    boxes: list[Box] = [(600 - 150 * k, 100 + 2 * k, 700 - 150 * k, 140 + 2 * k) for k in (3, 2, 1, 0)]
    boxes.reverse()  # rightmost first
    levels = [float(b[3] - 5) for b in boxes]
    expected = sorted(range(4), key=lambda i: boxes[i][0])
    assert expected == [3, 2, 1, 0]
    assert order_lines(boxes, levels, spacing=SPACING) == expected
    assert order_lines(boxes) == expected


def test_segment_page_reads_a_split_row_left_to_right() -> None:
    """End to end: a row of three words far apart, between full lines, the right word raised.

    The segmenter finds each word as a line of its own; its reading order must be the full
    line, then the three words left to right, then the two full lines below.
    """
    from scriptio.layout.segment import segment_page  # local: the unit tests above need only regions

    image = Image.new("L", (1200, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    draw.text((100, 150), "the quick brown fox jumps over the lazy dogs and more words", fill=20, font=font)
    draw.text((100, 230), "seven", fill=20, font=font)
    draw.text((560, 230), "hex", fill=20, font=font)
    draw.text((1000, 226), "kings", fill=20, font=font)
    draw.text((100, 310), "pack my box with five dozen liquor jugs and then some more", fill=20, font=font)
    draw.text((100, 390), "the quick brown fox jumps over the lazy dogs again", fill=20, font=font)
    page = segment_page(np.asarray(image))

    lines = page.lines
    assert [line.id for line in lines] == [f"r1_l{n}" for n in range(1, 7)]
    lefts = [min(x for x, _ in line.polygon) for line in lines]
    tops = [min(y for _, y in line.polygon) for line in lines]
    assert tops[0] < min(tops[1:4]) and max(tops[1:4]) < tops[4] < tops[5]
    assert lefts[1] < 150 and 500 < lefts[2] < 600 and lefts[3] > 950  # seven, hex, kings
