"""Load images safely: validate size and content, apply EXIF orientation, return grayscale."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from scriptio.errors import InputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".jp2"}
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


def load_gray(source: ImageSource) -> np.ndarray:
    """Read an image file (or its encoded bytes) as a 2-D uint8 array, raising InputError with a
    fix on bad input."""
    name = _describe(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(source) as image:
                width, height = image.size
                check_size(name, width, height)
                image = ImageOps.exif_transpose(image)
                return to_gray_array(image)
    except InputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(name, "not a readable image", "give a PNG, JPEG or TIFF file") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(name, f"image is corrupt or truncated ({error})", "re-export the image") from None


def load_gray_frames(source: ImageSource) -> list[np.ndarray]:
    """Every frame of a multi-page TIFF (or the one image of any other file) as grayscale."""
    name = _describe(source)
    first = load_gray(source)
    if not isinstance(source, bytes) and Path(source).suffix.lower() not in (".tif", ".tiff"):
        return [first]
    frames = [first]
    try:
        with _open(source) as image:
            for index in range(1, getattr(image, "n_frames", 1)):
                image.seek(index)
                check_size(name, *image.size)
                frames.append(to_gray_array(image))
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(name, f"TIFF frame {len(frames) + 1} is corrupt ({error})", "re-export the file") from None
    return frames


def gray_from_array(image: np.ndarray) -> np.ndarray:
    """A caller's image array (gray, RGB or RGBA, any numeric type) as 2-D uint8 grayscale."""
    import cv2

    image = np.asarray(image)
    if image.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        image = cv2.cvtColor(image, code)
    if image.ndim != 2:
        raise InputError("<image array>", f"array of shape {image.shape} is not an image",
                         "give a 2-D gray or 3-D RGB/RGBA array")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    check_size("<image array>", image.shape[1], image.shape[0])
    return image


def check_size(path: Path | str, width: int, height: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise InputError(path, f"image is {width}x{height} px, too small to hold text",
                         f"give an image at least {MIN_SIDE} px on each side")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise InputError(path, f"image is {width}x{height} px, larger than the {MAX_SIDE}-px limit",
                         "downscale it first")


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
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()
