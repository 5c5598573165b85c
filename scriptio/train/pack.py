"""Pack the normalized train/val lines of ../shared/data/htr into one tar:
`python -m scriptio.train.pack --shared ../shared --out work/htr48.tar`.

The default recipe then trains from it with `--packed work/htr48.tar` (on this machine or on
a GPU machine, where the pack travels instead of the page crops).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from scriptio.data.manifest import read_manifest
from scriptio.data.packed import write_pack
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.default_recipe import set_manifests
from scriptio.train.setup import load_cache

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("work/htr48.tar"))
    parser.add_argument("--height", type=int, default=CRNNConfig().height)
    parser.add_argument("--limit", type=int, default=None, help="lines per set and split (smoke tests)")
    args = parser.parse_args(argv)
    caches = {}
    for name, manifest in set_manifests(parser, args.shared).items():
        for split in ("train", "val"):
            records = read_manifest(manifest, split)[: args.limit]
            if records:
                caches[f"{name}/{split}"] = load_cache(records, args.height, DEFAULT_STEPS, f"{name} {split}")
    size = write_pack(args.out, caches, args.height, list(DEFAULT_STEPS))
    lines = sum(len(c) for c in caches.values())
    print(f"{args.out}: {lines} lines in {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
