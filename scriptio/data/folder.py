"""Read a folder of line images with `name.gt.txt` transcriptions (the OCRopus/Kraken/Calamari layout).

Images without a .gt.txt are kept with text=None, so the same folder reader feeds both
training (transcribed lines) and inference (untranscribed lines).
"""
from __future__ import annotations

import warnings
from pathlib import Path

from scriptio.errors import FormatError, InputError, InputWarning
from scriptio.image.io import is_image_path
from scriptio.text.normalize import normalize_text
from scriptio.types import LineRecord

GT_SUFFIX = ".gt.txt"
# OCRopus writes 'name.bin.png' / 'name.nrm.png' next to 'name.gt.txt'.
_DERIVED_SUFFIXES = (".bin", ".nrm")


def read_folder(path: Path) -> list[LineRecord]:
    """One record per line image in `path` (not its subfolders), sorted by file name."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such folder", "check the path")
    if not path.is_dir():
        raise InputError(path, "is a file, not a folder of line images",
                         "give a folder holding name.png + name.gt.txt pairs")
    entries = sorted((p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")),
                     key=lambda p: p.name)
    images = [p for p in entries if is_image_path(p)]
    dataset = path.resolve().name
    records: list[LineRecord] = []
    by_id: dict[str, Path] = {}
    used_gt: set[Path] = set()
    for image in images:
        if image.stem in by_id:
            raise FormatError(path, f"two images share the name {image.stem!r}: "
                              f"{by_id[image.stem].name} and {image.name}",
                              "keep one image per name, since the name pairs it with its .gt.txt")
        by_id[image.stem] = image
        gt_file = _gt_file(image)
        text = None
        if gt_file is not None:
            used_gt.add(gt_file)
            text = _read_gt(gt_file)
        records.append(LineRecord(id=image.stem, image_path=image, text=text,
                                  dataset=dataset, order=len(records)))
    orphans = [p.name for p in entries if p.name.endswith(GT_SUFFIX) and p not in used_gt]
    if orphans:
        warnings.warn(f"{path}: {len(orphans)} .gt.txt file(s) have no image, e.g. {orphans[0]}"
                      " (line images must be png, jpg or tif with the same name)", InputWarning, stacklevel=2)
    return records


def _gt_file(image: Path) -> Path | None:
    """`name.gt.txt` for `name.png`; also for OCRopus' `name.bin.png`."""
    candidates = [image.with_name(image.stem + GT_SUFFIX)]
    for suffix in _DERIVED_SUFFIXES:
        if image.stem.endswith(suffix):
            candidates.append(image.with_name(image.stem[: -len(suffix)] + GT_SUFFIX))
    return next((c for c in candidates if c.is_file()), None)


def _read_gt(gt_file: Path) -> str:
    """UTF-8 (a BOM is tolerated), NFC, whitespace collapsed."""
    try:
        raw = gt_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(gt_file, f"ground truth is not UTF-8 (byte {error.start})",
                          "save the .gt.txt file as UTF-8") from None
    return normalize_text(raw)
