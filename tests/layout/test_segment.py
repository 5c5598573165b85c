"""Layout analysis on synthetic pages: line count, geometry, reading order, edge cases."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from scriptio.layout.evaluate import match_baselines, match_lines
from scriptio.layout.params import DEFAULT_PARAMS, SegmenterParams
from scriptio.layout.segment import segment_page
from scriptio.types import TextLine

WORDS = ("the quick brown fox jumps over lazy dogs while seven wizards quietly hex "
         "jovial kings and pack my box with five dozen liquor jugs").split()


def render_page(width: int, height: int, columns: list[tuple[int, int]], top: int, rows: int,
                spacing: int, size: int, seed: int = 0):
    """White page with `rows` text lines per column; returns (gray, boxes) in reading order."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    boxes = []
    for x0, x1 in columns:
        for r in range(rows):
            words: list[str] = []
            while True:
                word = WORDS[int(rng.integers(len(WORDS)))]
                if draw.textlength(" ".join(words + [word]), font=font) > x1 - x0:
                    break
                words.append(word)
            if r == rows - 1:       # a short last line, as paragraphs end
                words = words[: max(2, len(words) // 2)]
            text = " ".join(words)
            y = top + r * spacing
            draw.text((x0, y), text, fill=20, font=font)
            boxes.append(draw.textbbox((x0, y), text, font=font))
    return np.asarray(image, np.uint8).copy(), boxes


def box_polygon(box) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def assert_all_matched(lines: list[TextLine], polygons: list, expected: int) -> None:
    assert len(lines) == expected
    result = match_lines(lines, polygons, threshold=0.5)
    assert result.matched == expected, [round(s, 2) for _, _, s in result.pairs]


def test_single_column_lines_and_baselines():
    gray, boxes = render_page(1200, 1600, [(100, 1100)], top=150, rows=12, spacing=80, size=36)
    page = segment_page(gray)
    refs = [box_polygon(b) for b in boxes]
    assert_all_matched(page.lines, refs, 12)
    # lines come top to bottom
    tops = [min(y for _, y in line.polygon) for line in page.lines]
    assert tops == sorted(tops)
    # each baseline lies in the lower part of its text box (above descenders' ends)
    for line, (x0, y0, x1, y1) in zip(page.lines, boxes):
        ys = [y for _, y in line.baseline]
        assert y0 + 0.5 * (y1 - y0) < np.mean(ys) < y1 + 2
    assert page.regions and page.regions[0].id == "r1" and page.lines[0].id == "r1_l1"


def test_two_columns_read_left_column_first():
    gray, boxes = render_page(1400, 1200, [(80, 600), (800, 1320)], top=120, rows=8,
                              spacing=70, size=30)
    page = segment_page(gray)
    assert_all_matched(page.lines, [box_polygon(b) for b in boxes], 16)
    centers = [np.mean([x for x, _ in line.polygon]) for line in page.lines]
    assert all(c < 700 for c in centers[:8]) and all(c > 700 for c in centers[8:])
    assert len(page.regions) == 2


def test_skewed_page():
    gray, boxes = render_page(1200, 1400, [(120, 1080)], top=200, rows=10, spacing=80, size=34)
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0)
    rotated = cv2.warpAffine(gray, m, (w, h), borderValue=255)
    polygons = []
    for b in boxes:
        pts = np.array(box_polygon(b), np.float64)
        polygons.append((np.c_[pts, np.ones(4)] @ m.T).tolist())
    page = segment_page(rotated)
    assert_all_matched(page.lines, polygons, 10)


def test_blank_pages_give_no_lines():
    white = np.full((1000, 800), 255, np.uint8)
    assert segment_page(white).lines == []
    rng = np.random.default_rng(1)
    paper = np.clip(rng.normal(225, 4, (1000, 800)), 0, 255).astype(np.uint8)
    page = segment_page(paper)
    assert page.lines == [] and page.width == 800 and page.height == 1000


def test_very_large_page_maps_back_to_page_pixels():
    gray, boxes = render_page(3800, 5200, [(300, 3500)], top=500, rows=9, spacing=400, size=150)
    page = segment_page(gray)
    assert_all_matched(page.lines, [box_polygon(b) for b in boxes], 9)
    assert page.width == 3800 and page.height == 5200


def test_colour_input_is_converted():
    gray, boxes = render_page(1000, 900, [(80, 920)], top=100, rows=6, spacing=90, size=36)
    ink = gray < 128
    colour = np.empty(gray.shape + (3,), np.uint8)
    colour[:] = (236, 228, 205)              # yellowish paper
    colour[ink] = (30, 40, 120)              # blue ink
    page = segment_page(colour)
    assert_all_matched(page.lines, [box_polygon(b) for b in boxes], 6)


def test_baseline_matching_scores():
    line = TextLine("a", [(0, 0), (100, 0), (100, 20), (0, 20)], [(0, 18), (100, 18)])
    far = TextLine("b", [(0, 40), (100, 40), (100, 60), (0, 60)], [(0, 58), (100, 58)])
    ref_poly = [(0, 0), (100, 0), (100, 22), (0, 22)]
    result = match_baselines([line, far], [[(0, 19), (100, 19)]], [ref_poly])
    assert result.matched == 1 and result.precision == 0.5 and result.recall == 1.0
    assert match_lines([line, far], [ref_poly]).pairs[0][:2] == (0, 0)


@pytest.mark.parametrize("angle", [7.0, -25.0])
def test_strongly_skewed_page_is_levelled(angle):
    gray, boxes = render_page(1400, 1400, [(250, 1150)], top=350, rows=8, spacing=90, size=36)
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(gray, m, (w, h), borderValue=255)
    polygons = [(np.c_[np.array(box_polygon(b), np.float64), np.ones(4)] @ m.T).tolist()
                for b in boxes]
    page = segment_page(rotated)
    assert_all_matched(page.lines, polygons, 8)
    # baselines follow the slope (OpenCV's positive angle turns the text counter-clockwise)
    for line in page.lines:
        (x0, y0), (x1, y1) = line.baseline[0], line.baseline[-1]
        assert abs(np.degrees(np.arctan2(y1 - y0, x1 - x0)) + angle) < 2.0


def test_show_through_is_not_text():
    gray, boxes = render_page(1200, 1400, [(100, 1100)], top=150, rows=10, spacing=110, size=36)
    ghost, _ = render_page(1200, 1400, [(100, 1100)], top=205, rows=10, spacing=110, size=36,
                           seed=5)
    ghost = ghost[:, ::-1]                              # the back page's writing, mirrored
    page_img = np.minimum(gray, np.where(ghost < 128, 185, 255)).astype(np.uint8)
    page = segment_page(page_img)
    assert_all_matched(page.lines, [box_polygon(b) for b in boxes], 10)


def test_notebook_margin_notes_are_their_own_lines():
    gray, boxes = render_page(1100, 1200, [(240, 1050)], top=200, rows=10, spacing=70, size=34)
    image = Image.fromarray(gray)
    draw = ImageDraw.Draw(image)
    draw.line([(215, 0), (215, 1199)], fill=60, width=3)      # the margin rule
    font = ImageFont.load_default(size=34)
    notes = []
    for r in (0, 4, 7):                                       # dates in the margin
        xy = (70, 200 + r * 70)
        draw.text(xy, "12/7", fill=20, font=font)
        notes.append(draw.textbbox(xy, "12/7", font=font))
    page = segment_page(np.asarray(image))
    refs = [box_polygon(b) for b in boxes + notes]
    assert_all_matched(page.lines, refs, 13)


def test_grid_paper_does_not_hide_words():
    gray, boxes = render_page(1100, 1300, [(100, 1000)], top=150, rows=10, spacing=95, size=36)
    grid = gray.copy()
    grid[::24, :] = np.minimum(grid[::24, :], 175)            # pale printed squares
    grid[:, ::24] = np.minimum(grid[:, ::24], 175)
    page = segment_page(grid)
    assert_all_matched(page.lines, [box_polygon(b) for b in boxes], 10)


def test_params_reach_the_stages():
    """segment_page hands its params down: a fresh default object changes nothing, and a
    deeper band below the baseline (used by the line polygons) gives deeper polygons."""
    gray, _ = render_page(1200, 1600, [(100, 1100)], top=150, rows=12, spacing=80, size=36)
    default = segment_page(gray)
    again = segment_page(gray, params=SegmenterParams())
    assert [line.polygon for line in again.lines] == [line.polygon for line in default.lines]
    deep = segment_page(gray, params=dataclasses.replace(DEFAULT_PARAMS, band_down=0.6, reach_down=0.6))
    assert len(deep.lines) == len(default.lines) == 12

    def depth(line: TextLine) -> float:
        return max(y for _, y in line.polygon) - float(np.mean([y for _, y in line.baseline]))

    for shallow, deeper in zip(default.lines, deep.lines):
        assert depth(deeper) > depth(shallow) + 20   # 0.6 of an 80 px spacing vs. the letters' depth
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_PARAMS.work_side = 10  # type: ignore[misc]
