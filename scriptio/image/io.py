"""Load images safely: validate size and content, apply EXIF orientation, return grayscale."""
from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from scriptio.errors import InputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".jp2"}
# The size limits of every image read (read at each call, so a caller may change them): an image
# is refused from its header, before anything is decoded. The largest accepted, 200 M pixels, is
# 200 MB as grayscale; a 600-dpi A3 scan is about 7000x9900.
MIN_SIDE = 4
MAX_SIDE = 20000
MAX_PIXELS = 200_000_000


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


ImageSource = str | Path | bytes


def _describe(source: ImageSource) -> str | Path:
    """How errors name a source: its path, or what bytes were given."""
    return f"<{len(source)} bytes of image data>" if isinstance(source, bytes) else Path(source)


def _open(source: ImageSource) -> Image.Image:
    """Open a path (checked to be a non-empty file) or encoded bytes with Pillow."""
    if isinstance(source, bytes):
        if not source:
            raise InputError(_describe(source), "no image data (0 bytes)", "send the image file's contents")
        return Image.open(io.BytesIO(source))
    path = Path(source)
    if not path.exists():
        raise InputError(path, "no such file", "check the path")
    if path.is_dir():
        raise InputError(path, "is a folder, not an image")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)", "re-export or re-scan the image")
    return Image.open(path)


_pillow_lock = threading.Lock()
_pillow_users = 0
_pillow_saved: int | None = None


@contextmanager
def _size_checked_here() -> Iterator[None]:
    """Pillow's decompression-bomb guard (a warning above 89 M pixels, an error above 179 M) would
    refuse images within our limits: a 12000x12000 scan (144 M pixels) read as 'not a readable
    image'. check_size() refuses an oversized image from its header before anything is decoded, so
    while scriptio reads images Pillow's guard is raised (never lowered) to the largest image these
    limits allow; it still stands behind check_size (a GIF frame larger than its header, say)."""
    global _pillow_users, _pillow_saved
    with _pillow_lock:
        if _pillow_users == 0:
            _pillow_saved = Image.MAX_IMAGE_PIXELS
            ours = max(MAX_PIXELS, MAX_SIDE * MAX_SIDE)
            if _pillow_saved is not None and _pillow_saved < ours:
                Image.MAX_IMAGE_PIXELS = ours
        _pillow_users += 1
    try:
        yield
    finally:
        with _pillow_lock:
            _pillow_users -= 1
            if _pillow_users == 0:
                Image.MAX_IMAGE_PIXELS = _pillow_saved


def load_gray(source: ImageSource, frame: int = 0) -> np.ndarray:
    """Read an image file (or its encoded bytes) as a 2-D uint8 array, raising InputError with a
    fix on bad input. `frame` picks a page of a multi-page TIFF (0: the first)."""
    name = _describe(source)
    try:
        with _size_checked_here(), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(source) as image:
                if frame:
                    _seek(image, name, frame)
                check_size(name, *image.size, what=_what(frame))
                ImageOps.exif_transpose(image, in_place=True)
                return to_gray_array(image)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(name, f"image is larger than the {MAX_SIDE}-px, {MAX_PIXELS:,}-pixel limit",
                         "downscale it first") from None
    except UnidentifiedImageError:
        raise InputError(name, "not a readable image", "give a PNG, JPEG or TIFF file") from None
    except (OSError, EOFError, ValueError, SyntaxError) as error:
        raise InputError(name, f"{_what(frame)} is corrupt or truncated ({error})", "re-export the image") from None


def _what(frame: int) -> str:
    return f"frame {frame + 1} of the image" if frame else "image"


def _seek(image: Image.Image, name: str | Path, frame: int) -> None:
    count = getattr(image, "n_frames", 1)
    if frame >= count:
        raise InputError(name, f"has no frame {frame + 1} (it holds {count})", "give a frame the file holds")
    image.seek(frame)


def frame_count(source: ImageSource) -> int:
    """How many pages a multi-page TIFF holds: 1 for any other file, and for one that cannot be
    opened (loading it then says what is wrong)."""
    if not isinstance(source, bytes) and Path(source).suffix.lower() not in (".tif", ".tiff"):
        return 1
    try:
        with _size_checked_here(), warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(source) as image:
                return max(1, int(getattr(image, "n_frames", 1))) if image.format == "TIFF" else 1
    except (InputError, Image.DecompressionBombError, OSError, EOFError, ValueError, SyntaxError):
        return 1


def load_gray_frames(source: ImageSource) -> list[np.ndarray]:
    """Every frame of a multi-page TIFF (or the one image of any other file) as grayscale."""
    return [load_gray(source, frame) for frame in range(frame_count(source))]


def gray_from_array(image: np.ndarray) -> np.ndarray:
    """A caller's image array (gray, RGB or RGBA, any numeric type) as 2-D uint8 grayscale."""
    import cv2

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        if image.dtype not in (np.uint8, np.uint16, np.float32):   # what OpenCV converts; values kept
            image = image.astype(np.float32)
        code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        image = cv2.cvtColor(image, code)
    if image.ndim != 2:
        raise InputError("<image array>", f"array of shape {image.shape} is not an image",
                         "give a 2-D gray or 3-D RGB/RGBA array")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    check_size("<image array>", image.shape[1], image.shape[0])
    return image


def check_size(path: Path | str, width: int, height: int, what: str = "image") -> None:
    """Refuse an image (`what`: "image", "frame 2 of the image") too small to hold text or past the
    size limits, from its declared size."""
    if width < MIN_SIDE or height < MIN_SIDE:
        raise InputError(path, f"{what} is {width}x{height} px, too small to hold text",
                         f"give an image at least {MIN_SIDE} px on each side")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InputError(path, f"{what} is {width}x{height} px, larger than the {MAX_SIDE}-px limit",
                         f"downscale it to at most {MAX_SIDE} px on each side")
    if width * height > MAX_PIXELS:
        raise InputError(path, f"{what} is {width}x{height} px ({width * height:,} pixels), larger than the "
                         f"{MAX_PIXELS:,}-pixel limit", "downscale it first")


def to_gray_array(image: Image.Image) -> np.ndarray:
    """Flatten transparency onto white, then convert to 8-bit grayscale."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        span = max(array.max() - array.min(), 1.0)
        return ((array - array.min()) * 255.0 / span).astype(np.uint8)
    gray = image if image.mode == "L" else image.convert("L")  # a page can be 100s of MB: no needless copy
    return np.array(gray, dtype=np.uint8)
