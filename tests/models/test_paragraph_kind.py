"""The paragraph kind: a model file like any other, and the facade reads blocks and pages with it
without a line segmenter, placing each line it reads where it attended."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scriptio import api
from scriptio.models.paragraph_kind import ParagraphRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.types import Page, Region
from tests.paragraphs import ALPHABET, PITCH, bars_block, trained_tiny_reader


@pytest.fixture(scope="module")
def reader_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("paragraph") / "reader.safetensors"
    ParagraphRecognizer(trained_tiny_reader(), ALPHABET, {"note": "test"}).save(path)
    return path


def scaled_block(lines: int, factor: float, seed: int):
    """A block drawn at the reader's pitch, then scaled: reading must find the pitch itself."""
    import cv2

    block = bars_block(lines, np.random.default_rng(seed))
    size = (round(block.image.shape[1] * factor), round(block.image.shape[0] * factor))
    return cv2.resize(block.image, size, interpolation=cv2.INTER_LINEAR), [c * factor for c in block.centres]


def line_centres(page: Page) -> list[float]:
    return [float(np.mean([y for _, y in line.polygon])) for line in page.lines]


def test_model_file_round_trip_reads_the_same(reader_file):
    loaded = load_recognizer(reader_file)
    assert loaded.kind == "paragraph" and loaded.metadata["note"] == "test"
    image = torch.from_numpy(1.0 - bars_block(2, np.random.default_rng(5)).image / 255.0).float()[None, None]
    with torch.no_grad():
        expected = trained_tiny_reader()(image)
        got = loaded.network(image)
    torch.testing.assert_close(got.logprobs, expected.logprobs)
    torch.testing.assert_close(got.attention, expected.attention)


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_block_level_reads_each_line_where_it_is(reader_file, factor):
    image, centres = scaled_block(3, factor, seed=7)
    page = api.read(image, level="block", recognizer=api.load_model(reader_file))[0]
    assert len(page.lines) == 3
    np.testing.assert_allclose(line_centres(page), centres, atol=PITCH * factor / 2)
    assert all(line.result is not None for line in page.lines)


def test_page_level_reads_each_region_and_maps_lines_to_the_page(reader_file):
    block, centres = scaled_block(2, 1.0, seed=9)
    page_image = np.full((400, 500), 245, np.uint8)
    x0, y0 = 120, 150
    page_image[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = block
    region = [(x0, y0), (x0 + block.shape[1], y0), (x0 + block.shape[1], y0 + block.shape[0]), (x0, y0 + block.shape[0])]

    def one_region(gray, path):  # a segmenter that found the block and no lines in it
        return Page(image_path=path, width=gray.shape[1], height=gray.shape[0], regions=[Region("r1", region, [])])

    page = api.read(page_image, level="page", recognizer=api.load_model(reader_file), segmenter=one_region)[0]
    assert [line.id for line in page.lines] == ["r1_l1", "r1_l2"]
    np.testing.assert_allclose(line_centres(page), [c + y0 for c in centres], atol=PITCH / 2)
    for line in page.lines:
        xs = [x for x, _ in line.polygon]
        assert x0 <= min(xs) and max(xs) <= x0 + block.shape[1] + 1
        assert all(x0 <= c.x0 <= c.x1 <= x0 + block.shape[1] + 1 for c in line.result.chars)


def test_a_blank_block_reads_as_no_lines(reader_file):
    page = api.read(np.full((120, 200), 250, np.uint8), level="block", recognizer=api.load_model(reader_file))[0]
    assert page.lines == []
