"""Pack the normalized lines of ../shared/data/htr into one tar:
`python -m scriptio.train.pack --shared ../shared --out work/htr48.tar`.

Groups are `<set>/train`, `<set>/dev` (documents carved out of the training split, see
`scriptio.data.splits`) and `<set>/val`. Recipes train from the pack (on this machine or on a GPU
machine, where the pack travels instead of the page crops); `--splits train,dev` and a lower
`--quality` keep a pack small enough to travel.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from scriptio.data.manifest import read_manifest
from scriptio.data.packed import WEBP_QUALITY, write_pack
from scriptio.data.splits import split_dev
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.default_recipe import set_manifests
from scriptio.train.setup import load_cache

SPLITS = ("train", "dev", "val")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("work/htr48.tar"))
    parser.add_argument("--height", type=int, default=CRNNConfig().height)
    parser.add_argument("--limit", type=int, default=None, help="lines per set and split (smoke tests)")
    parser.add_argument("--splits", default=",".join(SPLITS), help="which of train,dev,val to pack")
    parser.add_argument("--quality", type=int, default=WEBP_QUALITY, help="WebP quality of the line images")
    args = parser.parse_args(argv)
    wanted = [s for s in args.splits.split(",") if s]
    unknown = sorted(set(wanted) - set(SPLITS))
    if unknown:
        parser.error(f"--splits: unknown {', '.join(unknown)} (choose from {', '.join(SPLITS)})")
    caches = {}
    for name, manifest in set_manifests(parser, args.shared).items():
        train, dev = split_dev(read_manifest(manifest, "train"))
        parts = {"train": train, "dev": dev, "val": read_manifest(manifest, "val")}
        for split in wanted:
            records = parts[split][: args.limit]
            if records:
                caches[f"{name}/{split}"] = load_cache(records, args.height, DEFAULT_STEPS, f"{name} {split}")
    size = write_pack(args.out, caches, args.height, list(DEFAULT_STEPS), quality=args.quality)
    lines = sum(len(c) for c in caches.values())
    print(f"{args.out}: {lines} lines in {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
