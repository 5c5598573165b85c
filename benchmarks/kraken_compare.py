"""Side-by-side with kraken: same hooker lines, same wall time, same machine.

    python benchmarks/kraken_compare.py --shared ../shared --minutes 30 --ketos /path/to/ketos

Runs kraken's `ketos train -f path -B 16` (its default architecture) and `scriptio train` at the
same time, each with one CPU thread, for the same wall time, both validating on hooker val every
epoch; prints each curve and the end points as a Markdown table. kraken lives in its own venv
(`pip install kraken==7.1.1` there); its validation metric is accuracy = 1 - CER over the set.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

KRAKEN_VAL = re.compile(r"validation run: total chars ([\d.]+) errors ([\d.]+) accuracy ([\d.eE+-]+)")


def prepare_kraken_data(shared: Path, work: Path) -> tuple[Path, Path]:
    """hooker train/val lines as image + .gt.txt pairs (kraken's `-f path` layout)."""
    manifest = shared / "data" / "htr" / "hooker" / "lines.jsonl"
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for raw in manifest.read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        if row["split"] not in lists:
            continue
        folder = work / row["split"]
        folder.mkdir(parents=True, exist_ok=True)
        image = folder / Path(row["image"]).name
        if not image.exists():
            shutil.copyfile(manifest.parent / row["image"], image)
        image.with_suffix("").with_suffix(".gt.txt").write_text(row["text"], encoding="utf-8")
        lists[row["split"]].append(str(image))
    paths = []
    for split, images in lists.items():
        listing = work / f"{split}.txt"
        listing.write_text("\n".join(images) + "\n", encoding="utf-8")
        paths.append(listing)
    return paths[0], paths[1]


def start_kraken(ketos: str, train: Path, val: Path, out: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1", COLUMNS="250")
    command = [ketos, "-v", "-d", "cpu", "--threads", "1", "--workers", "0", "train", "-f", "path", "-B", "16",
               "-q", "fixed", "-N", "100000", "-F", "1", "-o", str(out), "-t", str(train), "-e", str(val)]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def start_scriptio(shared: Path, out: Path, minutes: float, log: Path) -> subprocess.Popen:
    manifest = shared / "data" / "htr" / "hooker" / "lines.jsonl"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    command = [str(Path(sys.executable).parent / "scriptio"), "train", f"{manifest}:train",
               "--val", f"{manifest}:val", "--out", str(out), "--minutes", str(minutes), "--epochs", "1000",
               "--patience", "1000", "--curriculum", "1", "--threads", "1"]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def kraken_curve(log: Path, started: float, times: list[float]) -> list[tuple[float, float]]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [KRAKEN_VAL.search(line) for line in lines]
    values = [1.0 - float(m.group(3)) for m in hits if m]
    return [(times[i] - started if i < len(times) else float("nan"), cer) for i, cer in enumerate(values)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--work", type=Path, default=Path("runs/kraken-compare"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--ketos", default="ketos")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    train, val = prepare_kraken_data(args.shared, args.work / "data")
    kraken_log, ours_log = args.work / "kraken.log", args.work / "scriptio.log"
    started = time.time()
    kraken = start_kraken(args.ketos, train, val, args.work / "kraken-model", kraken_log)
    # our trainer's budget counts training time only; leave room for its validation passes
    ours = start_scriptio(args.shared, args.work / "scriptio-model", max(args.minutes - 2, 0.9 * args.minutes), ours_log)
    kraken_times: list[float] = []
    seen = 0
    deadline = started + 60 * args.minutes
    while time.time() < deadline and (kraken.poll() is None or ours.poll() is None):
        time.sleep(5)
        count = len(KRAKEN_VAL.findall(kraken_log.read_text(encoding="utf-8", errors="replace")))
        kraken_times += [time.time()] * (count - seen)
        seen = count
    for process in (kraken, ours):
        if process.poll() is None:
            process.terminate()
    kraken.wait(120)
    ours.wait(120)
    print(f"command: {' '.join(sys.argv)}\n")
    print("| system | epoch | minutes | hooker val CER |\n| --- | ---: | ---: | ---: |")
    for epoch, (elapsed, cer) in enumerate(kraken_curve(kraken_log, started, kraken_times), 1):
        print(f"| kraken 7.1.1 | {epoch} | {elapsed / 60:.1f} | {cer:.2%} |")
    history = args.work / "scriptio-model" / "history.json"
    if history.exists():
        for row in json.loads(history.read_text()):
            print(f"| scriptio | {row['epoch']} | {row['elapsed_min']:.1f} (training) | "
                  f"{row['val']['hooker']['cer']:.2%} |")


if __name__ == "__main__":
    main()
