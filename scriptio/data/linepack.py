"""Normalized training lines packed into one compact tar (manifest + WebP images).

Why: normalizing 13,000 lines from their crops takes minutes and the crops weigh hundreds of
MB; a pack of already-normalized lines is a few dozen MB, loads in seconds, and can travel to
a GPU machine. The images inside are the exact input of the network (fixed height, ink dark
on white), so loading them skips normalization altogether.
"""
from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from scriptio.atomic import atomic_target
from scriptio.data.dataset import LineCache
from scriptio.errors import FormatError
from scriptio.image.normalize import NORMALIZED_LINE_STEPS, finish_normalized_line
from scriptio.types import LineRecord

MANIFEST = "lines.jsonl"
WEBP_QUALITY = 70  # mean absolute error ≈ 2 grey levels; well inside what augmentation adds


def write_pack(path: Path, caches: Mapping[str, LineCache], height: int, steps: list[str],
               quality: int = WEBP_QUALITY) -> int:
    """Write every cache's lines under its group name (e.g. 'hooker/val'); return bytes written."""
    rows: list[dict] = []
    path = Path(path)
    with atomic_target(path) as temp, tarfile.open(temp, "w:gz", compresslevel=6) as tar:
        for group, cache in caches.items():
            for number, (record, image) in enumerate(zip(cache.records, cache.images)):
                ok, encoded = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, quality])
                if not ok:
                    raise ValueError(f"could not encode line {record.id}")
                name = f"{group}/{number:06d}.webp"
                _add_bytes(tar, name, encoded.tobytes())
                rows.append({"group": group, "image": name, "id": record.id, "text": record.text,
                             "dataset": record.dataset, "split": record.split, "page": record.page})
        header = {"height": height, "steps": steps}
        manifest = "\n".join([json.dumps({"pack": header})] + [json.dumps(r, ensure_ascii=False) for r in rows])
        _add_bytes(tar, MANIFEST, manifest.encode("utf-8"))
    return path.stat().st_size


def read_pack(path: Path, height: int | None = None, steps: Sequence[str] | None = None) -> dict[str, LineCache]:
    """Groups of normalized lines, as LineCaches, normalized as a model with `height` and
    `steps` expects: a pack made with fewer steps gets the missing ones that work on normalized
    lines (e.g. "width"); any other mismatch is an error."""
    return read_pack_adding(path, height, steps=steps)[0]


def read_pack_adding(path: Path, height: int | None = None, add: Sequence[str] = (),
                     steps: Sequence[str] | None = None) -> tuple[dict[str, LineCache], list[str]]:
    """read_pack for a new model: the pack's own steps plus those of `add` it lacks (steps that
    work on normalized lines); returns the groups and the steps the lines now carry."""
    path = Path(path)
    try:
        tar = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError, EOFError) as error:
        raise FormatError(path, f"not a line pack ({error})", "rebuild it with scriptio data pack") from None
    with tar:  # one sequential pass: seeking backwards in a gzip stream is slow
        blobs = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}
    if MANIFEST not in blobs:
        raise FormatError(path, f"no {MANIFEST} inside", "rebuild it with scriptio data pack")
    lines = blobs.pop(MANIFEST).decode("utf-8").splitlines()
    header = json.loads(lines[0])["pack"]
    if height is not None and header["height"] != height:
        raise FormatError(path, f"lines are {header['height']} px high, the model wants {height}",
                          "repack with --height matching the model")
    if steps is None:
        steps = list(header["steps"]) + [step for step in add if step not in header["steps"]]
    extra = _missing_steps(path, header["steps"], steps)
    grouped: dict[str, tuple[list[LineRecord], list[np.ndarray]]] = {}
    for raw in lines[1:]:
        row = json.loads(raw)
        image = cv2.imdecode(np.frombuffer(blobs[row["image"]], dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
        if extra:
            image = finish_normalized_line(image, extra)
        record = LineRecord(id=row["id"], image_path=path / row["image"], text=row["text"],
                            dataset=row["dataset"], split=row["split"], page=row.get("page"))
        records, images = grouped.setdefault(row["group"], ([], []))
        records.append(record)
        images.append(image)
    return {group: LineCache.of(records, images) for group, (records, images) in grouped.items()}, list(steps)


def _missing_steps(path: Path, packed: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """The steps to apply on top of the pack's, or a FormatError when they cannot be."""
    packed, wanted = list(packed), list(packed if wanted is None else wanted)
    if wanted == packed:
        return []
    extra = wanted[len(packed):]
    if wanted[:len(packed)] != packed or not set(extra) <= set(NORMALIZED_LINE_STEPS):
        raise FormatError(path, f"lines were normalized with steps {packed}, the model wants {wanted}",
                          "repack the lines for this model (scriptio data pack), or train from the crops (scriptio train)")
    return extra


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
