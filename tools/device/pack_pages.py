"""Copy the train pages of every annotated set (pages.jsonl + images; no val page) into one folder,
for a GPU machine that cannot see ../shared: `python tools/device/pack_pages.py ../shared work/gpu-para`."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def pack(shared: Path, out: Path) -> None:
    for folder in sorted((shared / "data" / "htr").iterdir()):
        manifest = folder / "pages.jsonl"
        if not manifest.exists():
            continue
        rows = [row for row in map(json.loads, manifest.read_text(encoding="utf-8").splitlines())
                if row["split"] == "train"]
        (out / folder.name / "pages").mkdir(parents=True, exist_ok=True)
        for row in rows:
            shutil.copy(folder / row["image"], out / folder.name / row["image"])
        (out / folder.name / "pages.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows),
                                                        encoding="utf-8")
        print(f"{folder.name}: {len(rows)} train pages")


if __name__ == "__main__":
    pack(Path(sys.argv[1]), Path(sys.argv[2]))
