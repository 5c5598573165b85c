"""Pack the normalized lines of ../shared/data/htr into one tar (`scriptio data pack`).

Groups are `<set>/train`, `<set>/dev` (documents carved out of the training split, see
`scriptio.data.splits`) and `<set>/val`. Recipes train from the pack (on this machine or on a GPU
machine, where the pack travels instead of the page crops); packing only train,dev at a lower
quality keeps a pack small enough to travel.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scriptio.data.manifest import read_manifest
from scriptio.data.linepack import write_pack
from scriptio.data.shared_sets import set_manifests
from scriptio.data.splits import split_dev
from scriptio.errors import DataError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.train.setup import load_cache

SPLITS = ("train", "dev", "val")


def pack_shared_lines(shared: Path, out: Path, height: int, splits: Sequence[str] = SPLITS, quality: int = 70,
                      limit: int | None = None, log=print) -> tuple[int, int]:
    """Normalize and pack the lines of every set found; return (lines, bytes written)."""
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise DataError(f"unknown split {', '.join(unknown)} (choose from {', '.join(SPLITS)})")
    caches = {}
    for name, manifest in set_manifests(shared, log).items():
        train, dev = split_dev(read_manifest(manifest, "train"))
        parts = {"train": train, "dev": dev, "val": read_manifest(manifest, "val")}
        for split in splits:
            records = parts[split][:limit]
            if records:
                caches[f"{name}/{split}"] = load_cache(records, height, DEFAULT_STEPS, f"{name} {split}")
    size = write_pack(out, caches, height, list(DEFAULT_STEPS), quality=quality)
    return sum(len(c) for c in caches.values()), size
