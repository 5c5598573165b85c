"""Images at the edges of what is read: a large page inside the size limit loads (Pillow's
decompression-bomb guard does not overrule ours), one past the limit is refused naming its size
and the fix, and every frame of a multi-page TIFF is read, at line level as at page level."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriptio import api
from scriptio.errors import InputError
from scriptio.image import io as image_io
from scriptio.image.io import load_gray
from tests.conftest import WORDS
from tests.faults.conftest import assert_clean, assert_one_error, invoke, lines_starting


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` but holds no pixels: enough to be refused by size,
    which must happen before anything is decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)   # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_12000_px_square_page_inside_the_limit_loads(tmp_path):
    """144 M pixels: over Pillow's default guard (89 M), well inside ours (20000 px a side)."""
    path = tmp_path / "big.png"
    image = Image.new("L", (12000, 12000), 255)
    ImageDraw.Draw(image).rectangle((1000, 5000, 11000, 5100), fill=0)
    image.save(path, compress_level=1)
    del image
    guard = Image.MAX_IMAGE_PIXELS
    gray = load_gray(path)
    assert gray.shape == (12000, 12000) and gray.dtype == np.uint8
    assert gray[5050, 6000] == 0 and gray[100, 100] == 255
    assert Image.MAX_IMAGE_PIXELS == guard, "Pillow's own guard must be left as the caller had it"


@pytest.mark.parametrize("width, height, needles", [
    (20001, 8, ["20001x8 px", "larger than the 20000-px limit", "downscale it to at most 20000 px"]),
    (8, 25000, ["8x25000 px", "larger than the 20000-px limit"]),
    (19000, 19000, ["19000x19000 px (361,000,000 pixels)", "larger than the 200,000,000-pixel limit",
                    "downscale it first"]),
    (50000, 50000, ["larger than the 20000-px, 200,000,000-pixel limit", "downscale it first"]),  # Pillow's guard
])
def test_an_image_past_the_limit_is_refused_naming_its_size_and_the_fix(width, height, needles, tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_header(width, height))
    with pytest.raises(InputError) as caught:
        load_gray(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: image is "), message
    assert "not a readable image" not in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_an_image_past_the_limit_is_one_error_line_on_the_command_line(tiny_model_path, line_folder, tmp_path):
    path = tmp_path / "wide.png"
    path.write_bytes(png_header(20001, 40))
    result = invoke("read", "--level", "line", "--model", tiny_model_path, path, *sorted(line_folder.glob("*.png")))
    assert_one_error(result, str(path), "20001x40 px", "20000-px limit", code=1)
    assert len([line for line in result.output.splitlines() if "\t" in line]) == 3   # the others are read


def test_the_limits_are_read_at_each_call(monkeypatch, tmp_path):
    """MAX_SIDE and MAX_PIXELS are settings: lowered, they refuse what they would have let in."""
    path = tmp_path / "page.png"
    Image.new("L", (1200, 300), 255).save(path)
    assert load_gray(path).shape == (300, 1200)
    monkeypatch.setattr(image_io, "MAX_SIDE", 1000)
    with pytest.raises(InputError, match=r"1200x300 px, larger than the 1000-px limit"):
        load_gray(path)
    monkeypatch.setattr(image_io, "MAX_SIDE", 20000)
    monkeypatch.setattr(image_io, "MAX_PIXELS", 300_000)
    with pytest.raises(InputError, match=r"1200x300 px \(360,000 pixels\), larger than the 300,000-pixel limit"):
        load_gray(path)


def line_image(words: str, width: int) -> Image.Image:
    """A tiny synthetic line: dark bars standing for the words, on white."""
    image = Image.new("L", (width, 40), 255)
    draw = ImageDraw.Draw(image)
    x = 8
    for word in words.split():
        draw.rectangle((x, 12, x + 9 * len(word), 30), fill=20)
        x += 9 * len(word) + 14
    return image


@pytest.fixture
def three_frame_tiff(tmp_path) -> Path:
    """A scanner's multi-page TIFF: three different lines, three different sizes."""
    path = tmp_path / "scan.tif"
    frames = [line_image(" ".join(WORDS[i:i + n]), width) for i, n, width in ((0, 2, 160), (2, 3, 220), (5, 4, 300))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with Image.open(path) as check:
        assert check.n_frames == 3
    return path


def test_every_frame_of_a_tiff_is_a_line_at_line_level(tiny_model_path, three_frame_tiff):
    result = invoke("read", "--level", "line", "--model", tiny_model_path, three_frame_tiff)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    names = [line.split("\t")[0] for line in result.output.splitlines() if "\t" in line]
    assert names == ["scan", "scan_p2", "scan_p3"]


def test_every_frame_of_a_tiff_is_written_at_line_level(tiny_model_path, three_frame_tiff, tmp_path):
    out, debug = tmp_path / "out", tmp_path / "debug"
    result = invoke("read", "--level", "line", "--model", tiny_model_path, "--output-dir", out, "--debug-dir", debug,
                    three_frame_tiff)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["scan.txt", "scan_p2.txt", "scan_p3.txt"]
    widths = sorted(Image.open(p).size[0] for p in debug.glob("*.before.png"))
    assert widths == [160, 220, 300], "each line is its own frame, not the first one three times"


def test_every_frame_of_a_tiff_is_a_page_at_page_level(tiny_model_path, three_frame_tiff, tmp_path):
    out = tmp_path / "out"
    result = invoke("read", "--level", "page", "--segmenter", "classic", "--model", tiny_model_path,
                    "--format", "txt", "--output-dir", out, three_frame_tiff)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["scan.txt", "scan_p2.txt", "scan_p3.txt"]


def test_the_api_reads_every_frame_at_line_level(tiny_model_path, three_frame_tiff):
    pages = api.read(three_frame_tiff, "line", recognizer=api.load_model(str(tiny_model_path)))
    assert [(page.width, [line.id for line in page.lines]) for page in pages] == [
        (160, ["scan"]), (220, ["scan_p2"]), (300, ["scan_p3"])]


def test_a_blank_frame_is_named_in_its_notice(tiny_model_path, tmp_path):
    path = tmp_path / "scan.tif"
    frames = [line_image("the cat", 160), Image.new("L", (160, 40), 255)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    result = invoke("read", "--level", "line", "--model", tiny_model_path, path)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert lines_starting(result, "warning:") == [f"warning: {path}: frame 2: no writing found (blank, or all one "
                                                  "shade); its text is left empty"]


def test_an_unusable_frame_is_one_error_naming_it_and_the_other_frames_are_read(tiny_model_path, tmp_path):
    path = tmp_path / "scan.tif"
    frames = [line_image("the cat", 160), Image.new("L", (2, 2), 255), line_image("a dog", 140)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    result = invoke("read", "--level", "line", "--model", tiny_model_path, path)
    assert_one_error(result, str(path), "frame 2 of the image is 2x2 px, too small to hold text", code=1)
    assert [line.split("\t")[0] for line in result.output.splitlines() if "\t" in line] == ["scan", "scan_p3"]
