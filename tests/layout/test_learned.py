"""The learned segmenter's post-processing on hand-drawn maps, and the layout targets it inverts."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from scriptio.data.page_sets import AnnotatedLine, AnnotatedRegion
from scriptio.layout.learned import LearnedParams, build_page, find_lines
from scriptio.layout.targets import TARGETS, core_polygon, rasterize, up_normal


def maps_of(lines: list[AnnotatedLine], shape=(200, 300), regions=()) -> np.ndarray:
    """Probability maps as a perfect network would give them for these lines."""
    maps, _ = rasterize(lines, list(regions), shape, baseline_width=2)
    return maps.astype(np.float32)


def straight(x0: float, x1: float, y: float, height: float = 16) -> AnnotatedLine:
    """A horizontal line whose polygon reaches `height` above and height/3 below its baseline."""
    polygon = np.array([[x0, y - height], [x1, y - height], [x1, y + height / 3], [x0, y + height / 3]])
    return AnnotatedLine(polygon, np.array([[x0, y], [x1, y]]))


def test_up_normal_points_into_the_polygon_whatever_the_direction():
    line = straight(10, 100, 50)
    assert up_normal(line.baseline, line.polygon) == pytest.approx([0, -1])
    rotated = AnnotatedLine(line.polygon[:, ::-1], line.baseline[:, ::-1])   # a line written downwards
    normal = up_normal(rotated.baseline, rotated.polygon)
    assert normal == pytest.approx([-1, 0])
    core = core_polygon(line)
    assert core[:, 1].min() == pytest.approx(50 - 0.45 * 16, abs=0.5) and core[:, 1].max() == pytest.approx(50)


def test_three_lines_come_back_with_their_baselines_and_separate_polygons():
    lines = [straight(20, 280, 50), straight(20, 200, 90), straight(30, 270, 130)]
    found = find_lines(maps_of(lines))
    assert len(found) == 3
    found.sort(key=lambda f: f.baseline[:, 1].mean())
    for line, truth in zip(found, lines):
        assert abs(line.baseline[:, 1].mean() - truth.baseline[0, 1]) <= 2
        assert abs(line.baseline[:, 0].min() - truth.baseline[0, 0]) <= 3
        assert abs(line.baseline[:, 0].max() - truth.baseline[1, 0]) <= 3
    masks = []
    for line in found:
        mask = np.zeros((200, 300), np.uint8)
        cv2.fillPoly(mask, [np.round(line.polygon).astype(np.int32)], 1)
        masks.append(mask)
    assert all(int((a & b).sum()) < 20 for i, a in enumerate(masks) for b in masks[i + 1:])  # no overlap
    assert all(int(m.sum()) > 0.7 * 16 * 1.33 * 160 for m in masks)    # polygons reach ascenders


def test_a_vertical_line_stays_whole_with_its_baseline_on_the_right_side():
    # written upwards along the left margin: baseline on the right of the letters
    polygon = np.array([[20, 180], [20, 30], [46, 30], [46, 180]], np.float64)
    baseline = np.array([[40, 180], [40, 30]], np.float64)
    found = find_lines(maps_of([AnnotatedLine(polygon, baseline)]))
    assert len(found) == 1
    assert abs(found[0].baseline[:, 0].mean() - 40) <= 2
    assert np.ptp(found[0].baseline[:, 1]) > 120


def test_page_has_regions_in_reading_order_and_flags_what_is_not_writing():
    lines = [straight(20, 130, 50), straight(20, 130, 80), straight(170, 280, 50), straight(170, 280, 80)]
    maps = maps_of(lines, regions=[AnnotatedRegion(np.array([[10, 20], [290, 20], [290, 100], [10, 100]]))])
    maps[1, 150:155, 10:290] = 0.55      # a long, weak streak: a string the network half believes in
    page = build_page(maps, (2.0, 2.0), 600, 400, None)
    texts = [line for line in page.lines if line.is_text]
    assert len(texts) == 4 and len(page.lines) == 5
    assert [line.id for line in texts][:2] == ["r1_l1", "r1_l2"]
    first = [np.mean([p[0] for p in line.baseline]) for line in page.regions[0].lines if line.is_text]
    assert all(x < 300 for x in first)                                  # left column first (page pixels)
    streak = next(line for line in page.lines if not line.is_text)
    assert streak.scores["text"] < LearnedParams().min_text_score


def test_nothing_found_on_empty_maps():
    assert find_lines(np.zeros((len(TARGETS), 50, 50), np.float32)) == []
    assert build_page(np.zeros((len(TARGETS), 50, 50), np.float32), (1.0, 1.0), 50, 50, None).regions == []
