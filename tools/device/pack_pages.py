"""Copy the train pages of every annotated set (pages.jsonl + images; no val page) into one folder,
for a GPU machine that cannot see ../shared, with a sample of train line images beside them (each
set's lines.jsonl: the source of the synthetic paragraphs the joint stage composes):

    python tools/device/pack_pages.py ../shared work/gpu-para [--lines 1000]

Line images are shrunk to at most LINE_HEIGHT px high (the line height the readers use) and stored
as JPEG: 1,000 of them take about 7 MB beside the ~36 MB of pages (a device call carries 64 MiB,
the repository's own files included)."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import cv2
import numpy as np

LINE_HEIGHT = 48


def pack(shared: Path, out: Path, lines: int, seed: int = 0) -> None:
    sets = [folder for folder in sorted((shared / "data" / "htr").iterdir()) if (folder / "pages.jsonl").exists()]
    for folder in sets:
        rows = [row for row in map(json.loads, (folder / "pages.jsonl").read_text(encoding="utf-8").splitlines())
                if row["split"] == "train"]
        (out / folder.name / "pages").mkdir(parents=True, exist_ok=True)
        for row in rows:
            shutil.copy(folder / row["image"], out / folder.name / row["image"])
        (out / folder.name / "pages.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows),
                                                        encoding="utf-8")
        print(f"{folder.name}: {len(rows)} train pages")
    pack_lines(sets, out, lines, seed)


def pack_lines(sets: list[Path], out: Path, count: int, seed: int) -> None:
    """`count` train lines drawn from all sets at once (so in proportion to their size)."""
    candidates = []
    for folder in sets:
        manifest = folder / "lines.jsonl"
        if manifest.exists():
            candidates += [(folder, row) for row in map(json.loads, manifest.read_text(encoding="utf-8").splitlines())
                           if row.get("split") == "train" and str(row.get("text") or "").strip()]
    picks = np.random.default_rng(seed).permutation(len(candidates))[:count]
    chosen: dict[Path, list[dict]] = {}
    for index in sorted(picks):
        folder, row = candidates[index]
        chosen.setdefault(folder, []).append(row)
    for folder, rows in chosen.items():
        (out / folder.name / "lines").mkdir(parents=True, exist_ok=True)
        kept = []
        for row in rows:
            gray = cv2.imread(str(folder / row["image"]), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                continue
            if gray.shape[0] > LINE_HEIGHT:
                width = max(1, round(gray.shape[1] * LINE_HEIGHT / gray.shape[0]))
                gray = cv2.resize(gray, (width, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
            image = f"lines/{row['id']}.jpg"
            cv2.imwrite(str(out / folder.name / image), gray, [cv2.IMWRITE_JPEG_QUALITY, 80])
            kept.append({key: row[key] for key in ("id", "text", "split", "page") if key in row} | {"image": image})
        (out / folder.name / "lines.jsonl").write_text("".join(json.dumps(row) + "\n" for row in kept),
                                                        encoding="utf-8")
        print(f"{folder.name}: {len(kept)} train lines")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shared", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1000, help="train line images for synthetic paragraphs")
    args = parser.parse_args()
    pack(args.shared, args.out, args.lines)
