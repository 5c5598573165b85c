import numpy as np
import pytest

from scriptio.image.enhance import stretch_contrast
from scriptio.image.normalize import crop_to_polygon, extract_line, mask_polygon, trim_margins


def test_mask_paints_outside_polygon_with_paper():
    image = np.full((40, 100), 200, np.uint8)
    image[2:6, :] = 0        # a neighbour's descender at the top
    image[20:30, 20:80] = 10  # our ink
    polygon = np.array([[0, 10], [99, 10], [99, 39], [0, 39]], np.float32)
    masked = mask_polygon(image, polygon)
    assert masked[2:6].min() == 200
    assert masked[20:30, 20:80].max() == 10


def test_stroke_mask_keeps_own_strokes_the_polygon_cuts_and_drops_neighbours():
    image = np.full((60, 200), 220, np.uint8)
    image[4:50, 40:44] = 10    # our ascender: 30 of its 46 rows inside the polygon
    image[35:50, 60:150] = 10  # our x-height writing, all inside
    image[0:24, 170:174] = 10  # a neighbour's descender: only 4 of its 24 rows inside
    polygon = np.array([[0, 20], [199, 20], [199, 55], [0, 55]], np.float32)
    plain = mask_polygon(image, polygon)
    kept = mask_polygon(image, polygon, keep_strokes=True)
    assert plain[4:15, 40:44].min() == 220   # the plain mask cuts the ascender's top
    assert kept[4:50, 40:44].max() == 10     # the stroke mask keeps all of it
    assert kept[0:15, 170:174].min() == 220  # and still removes the neighbour
    assert kept[22:24, 170:174].max() == 10  # (its tip inside the polygon stays, as with "mask")
    assert np.array_equal(kept[35:50, 60:150], image[35:50, 60:150])


def test_without_a_polygon_the_stroke_mask_drops_strokes_entering_from_the_edges():
    image = np.full((60, 200), 220, np.uint8)
    image[25:40, 20:180] = np.where(np.arange(160) % 6 < 2, 10, 220)  # the core band's strokes
    image[3:40, 10:13] = 10       # our ascender, reaching into the core
    image[15:18, 100:103] = 10    # an i-dot above the core, clear of the edges
    image[0:14, 150:153] = 10     # a neighbour's descender entering from the top
    image[50:60, 60:63] = 10      # a neighbour's ascender entering from the bottom
    kept = mask_polygon(image, None, keep_strokes=True)
    assert kept[0:14, 150:153].min() == 220 and kept[50:60, 60:63].min() == 220
    assert kept[3:40, 10:13].max() == 10 and kept[15:18, 100:103].max() == 10
    assert np.array_equal(kept[25:40, 20:180], image[25:40, 20:180])
    assert np.array_equal(mask_polygon(image, None), image)  # the plain mask needs a polygon


def test_contrast_maps_ink_to_black_and_paper_to_white():
    image = np.full((30, 200), 150, np.uint8)
    image[10:20, 20:80] = 100  # 10% ink, as on a real line
    out = stretch_contrast(image)
    assert out[0, 0] >= 250 and out[15, 55] == 0


def test_extract_line_crops_polygon_on_a_page_and_scales_to_height():
    page = np.full((500, 800), 255, np.uint8)
    page[210:250, 300:600] = 0
    polygon = [(290, 200), (610, 200), (610, 260), (290, 260)]
    line = extract_line(page, polygon, height=48)
    assert line.shape[0] == 48
    ink_columns = np.flatnonzero((line < 128).any(axis=0))
    assert ink_columns[0] <= 5 and line.shape[1] - ink_columns[-1] <= 6  # margins trimmed
    cropped, local, _ = crop_to_polygon(page, polygon)
    assert local[:, 0].min() >= 0 and cropped.shape[0] < 70


def test_trim_keeps_blank_images_intact():
    blank = np.full((20, 50), 255, np.uint8)
    assert trim_margins(blank).shape == blank.shape


def test_unknown_step_is_rejected():
    with pytest.raises(ValueError):
        extract_line(np.zeros((10, 10), np.uint8), steps=("mask", "sharpen"))


def test_mapping_sends_normalized_columns_back_to_page_columns():
    from scriptio.image.normalize import extract_line_mapped

    page = np.full((400, 900), 255, np.uint8)
    page[110:150, 300:320] = 0   # first stroke of the line
    page[110:150, 700:720] = 0   # last stroke
    polygon = [(250, 100), (800, 100), (800, 160), (250, 160)]
    line, (offset, scale) = extract_line_mapped(page, polygon, height=48)
    ink = np.flatnonzero((line < 128).any(axis=0))
    assert abs(offset + ink[0] * scale - 300) <= 2 * scale
    assert abs(offset + (ink[-1] + 1) * scale - 720) <= 2 * scale


def test_paper_level_is_the_90th_percentile():
    from scriptio.image.enhance import paper_level

    rng = np.random.default_rng(5)
    for _ in range(200):
        shape = tuple(int(n) for n in rng.integers(1, 40, size=2))
        gray = (rng.integers(0, 256, size=shape) // rng.integers(1, 60)).astype(np.uint8)
        assert paper_level(gray) == int(np.percentile(gray, 90))
    assert paper_level(np.zeros((0, 5), np.uint8)) == 255
