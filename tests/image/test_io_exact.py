"""Loading images as a user meets it: the exact message for each bad input (file, problem, fix),
the size limits at their boundaries, multi-page TIFFs, transparency, 16-bit scans, EXIF
orientation, caller arrays, and Pillow's own size guard left as it was found."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import scriptio.image.io as image_io
from scriptio.errors import InputError
from scriptio.image.io import check_size, frame_count, gray_from_array, load_gray, load_gray_frames, to_gray_array


def message_of(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_bad_files_and_bytes(tmp_path):
    missing = tmp_path / "missing.png"
    assert message_of(load_gray, missing) == f"{missing}: no such file (check the path)"
    assert message_of(load_gray, tmp_path) == f"{tmp_path}: is a folder, not an image"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert message_of(load_gray, empty) == f"{empty}: file is empty (0 bytes) (re-export or re-scan the image)"
    assert message_of(load_gray, b"") == "<0 bytes of image data>: no image data (0 bytes) (send the image file's contents)"
    text = tmp_path / "notes.png"
    text.write_text("not an image at all", encoding="utf-8")
    assert message_of(load_gray, text) == f"{text}: not a readable image (give a PNG, JPEG or TIFF file)"
    assert message_of(load_gray, b"hello") == "<5 bytes of image data>: not a readable image (give a PNG, JPEG or TIFF file)"
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(png_bytes(Image.new("L", (64, 64), 128))[:60])
    message = message_of(load_gray, truncated)
    assert message.startswith(f"{truncated}: image is corrupt or truncated (") and message.endswith("(re-export the image)")


def test_size_limits_at_their_boundaries(monkeypatch):
    check_size("a.png", 4, 4)
    check_size("a.png", image_io.MAX_SIDE, 4)
    assert message_of(check_size, "a.png", 3, 10) == "a.png: image is 3x10 px, too small to hold text (give an image at least 4 px on each side)"
    assert message_of(check_size, "a.png", 10, 3, "frame 2 of the image") == (
        "a.png: frame 2 of the image is 10x3 px, too small to hold text (give an image at least 4 px on each side)")
    assert message_of(check_size, "a.png", 20001, 5) == (
        "a.png: image is 20001x5 px, larger than the 20000-px limit (downscale it to at most 20000 px on each side)")
    assert message_of(check_size, "a.png", 5, 20001).startswith("a.png: image is 5x20001 px, larger than")
    monkeypatch.setattr(image_io, "MAX_PIXELS", 100)
    check_size("a.png", 10, 10)
    assert message_of(check_size, "a.png", 10, 11) == (
        "a.png: image is 10x11 px (110 pixels), larger than the 100-pixel limit (downscale it first)")


def test_an_oversized_image_is_refused_by_its_header(monkeypatch):
    monkeypatch.setattr(image_io, "MAX_SIDE", 50)
    data = png_bytes(Image.new("L", (51, 10), 255))
    assert message_of(load_gray, data) == (
        "<%d bytes of image data>: image is 51x10 px, larger than the 50-px limit "
        "(downscale it to at most 50 px on each side)" % len(data))


def test_pillows_guard_is_raised_while_reading_and_restored(monkeypatch):
    """Our limits allow more than a lowered Pillow guard: the image loads, and the guard is back
    to what it was afterwards."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert load_gray(png_bytes(Image.new("L", (100, 100), 7))).shape == (100, 100)
    assert Image.MAX_IMAGE_PIXELS == 1000


def multipage(path, sizes_and_levels):
    pages = [Image.new("L", size, level) for size, level in sizes_and_levels]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # the broken file below
def test_multipage_tiffs(tmp_path):
    tiff = multipage(tmp_path / "pages.tif", [((20, 10), 10), ((30, 12), 20), ((8, 40), 30)])
    assert frame_count(tiff) == 3 and frame_count(tiff.read_bytes()) == 3
    frames = load_gray_frames(tiff)
    assert [f.shape for f in frames] == [(10, 20), (12, 30), (40, 8)] and [int(f[0, 0]) for f in frames] == [10, 20, 30]
    assert load_gray(tiff, 1).tolist() == frames[1].tolist()
    assert message_of(load_gray, tiff, 3) == f"{tiff}: has no frame 4 (it holds 3) (give a frame the file holds)"
    tiny = multipage(tmp_path / "tiny.tif", [((20, 10), 10), ((3, 3), 20)])
    assert message_of(load_gray, tiny, 1) == (
        f"{tiny}: frame 2 of the image is 3x3 px, too small to hold text (give an image at least 4 px on each side)")
    png = tmp_path / "one.png"
    Image.new("L", (20, 10)).save(png)
    assert frame_count(png) == 1 and len(load_gray_frames(png)) == 1
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00garbage")
    assert frame_count(broken) == 1 and frame_count(tmp_path / "absent.tif") == 1


def test_transparency_is_flattened_onto_white():
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgba.putpixel((1, 1), (0, 0, 0, 255))
    assert to_gray_array(rgba)[0, 0] == 255 and to_gray_array(rgba)[1, 1] == 0
    la = Image.new("LA", (4, 4), (0, 128))                               # black at half opacity
    assert int(to_gray_array(la)[0, 0]) in (127, 128)
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0] * 256)
    palette.info["transparency"] = 0
    assert to_gray_array(palette).tolist() == [[255] * 4] * 4
    opaque = Image.new("P", (4, 4), 0)
    opaque.putpalette([0, 0, 0] * 256)
    assert to_gray_array(opaque).tolist() == [[0] * 4] * 4


def test_sixteen_bit_scans_are_stretched_to_eight_bits():
    array = np.array([[1000, 1500], [2000, 3000]], np.uint16)
    image = Image.fromarray(array)
    assert image.mode.startswith("I;16")
    expected = ((array.astype(float) - 1000) * 255.0 / 2000).astype(np.uint8)
    assert to_gray_array(image).tolist() == expected.tolist() == [[0, 63], [127, 255]]
    assert to_gray_array(Image.fromarray(np.full((2, 2), 5, np.int32))).tolist() == [[0, 0], [0, 0]]


def test_color_is_converted_with_pillows_luma():
    rgb = Image.new("RGB", (4, 4), (200, 100, 50))
    assert int(to_gray_array(rgb)[0, 0]) == (200 * 299 + 100 * 587 + 50 * 114) // 1000


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("L", (40, 20), 255)
    exif = Image.Exif()
    exif[0x0112] = 6                                                     # rotate 90 degrees to show
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    assert load_gray(path).shape == (40, 20)


def test_caller_arrays():
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[..., 0] = 255
    assert gray_from_array(rgb).shape == (6, 8) and int(gray_from_array(rgb)[0, 0]) == 76    # 0.299 x 255
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[..., 1] = 255
    assert int(gray_from_array(rgba)[0, 0]) == 150                                          # 0.587 x 255
    for dtype in (np.float64, np.int64, np.int32, np.float16):            # any numeric type, as documented
        assert int(gray_from_array(rgb.astype(dtype))[0, 0]) == 76
    floats = np.array([[-5.0, 12.7, 300.0, 80.0]] * 5)
    assert gray_from_array(floats).tolist() == [[0, 12, 255, 80]] * 5
    assert gray_from_array(floats).dtype == np.uint8
    assert message_of(gray_from_array, np.zeros((2, 3, 4, 5))) == (
        "<image array>: array of shape (2, 3, 4, 5) is not an image (give a 2-D gray or 3-D RGB/RGBA array)")
    assert message_of(gray_from_array, np.zeros((6, 8, 2))) == (
        "<image array>: array of shape (6, 8, 2) is not an image (give a 2-D gray or 3-D RGB/RGBA array)")
    assert message_of(gray_from_array, np.zeros((3, 9), np.uint8)) == (
        "<image array>: image is 9x3 px, too small to hold text (give an image at least 4 px on each side)")
