"""Load images safely: validate size and content, apply EXIF orientation, return grayscale."""
from __future__ import annotations

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


def load_gray(path: str | Path) -> np.ndarray:
    """Read an image file as a 2-D uint8 array, raising InputError with a fix on bad input."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file", "check the path")
    if path.is_dir():
        raise InputError(path, "is a folder, not an image")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)", "re-export or re-scan the image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                check_size(path, width, height)
                image = ImageOps.exif_transpose(image)
                return to_gray_array(image)
    except InputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(path, "not a readable image", "give a PNG, JPEG or TIFF file") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(path, f"image is corrupt or truncated ({error})", "re-export the image") from None


def load_gray_frames(path: str | Path) -> list[np.ndarray]:
    """Every frame of a multi-page TIFF (or the one image of any other file) as grayscale."""
    path = Path(path)
    first = load_gray(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        return [first]
    frames = [first]
    try:
        with Image.open(path) as image:
            for index in range(1, getattr(image, "n_frames", 1)):
                image.seek(index)
                check_size(path, *image.size)
                frames.append(to_gray_array(image))
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(path, f"TIFF frame {len(frames) + 1} is corrupt ({error})", "re-export the file") from None
    return frames


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
