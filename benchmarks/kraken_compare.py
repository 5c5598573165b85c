"""Side-by-side with kraken: same hooker lines, same wall time, same machine.

    python benchmarks/kraken_compare.py --shared ../shared --minutes 30 --ketos /path/to/ketos

Runs kraken's `ketos train -f path -B 16` (its default architecture) and `scriptio train` for
the same wall time each, both validating on hooker val (kraken every `--kraken-freq` epochs,
scriptio every epoch); prints each curve as a Markdown table. By default they run one after the
other with all `--threads` each; `--concurrent` runs both at once with one thread each. kraken lives in its own venv
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


def start_kraken(ketos: str, train: Path, val: Path, out: Path, log: Path, threads: int,
                 freq: float) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1",
               COLUMNS="250")
    command = [ketos, "-v", "-d", "cpu", "--threads", str(threads), "--workers", "0", "train", "-f", "path",
               "-B", "16", "-q", "fixed", "-N", "100000", "-F", str(freq), "-o", str(out), "-t", str(train),
               "-e", str(val)]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def start_scriptio(shared: Path, out: Path, minutes: float, log: Path, threads: int) -> subprocess.Popen:
    manifest = shared / "data" / "htr" / "hooker" / "lines.jsonl"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
    command = [str(Path(sys.executable).parent / "scriptio"), "train", f"{manifest}:train",
               "--val", f"{manifest}:val", "--out", str(out), "--minutes", str(minutes), "--epochs", "1000",
               "--patience", "1000", "--curriculum", "1", "--threads", str(threads)]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def kraken_curve(log: Path, started: float, times: list[float]) -> list[tuple[float, float]]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [KRAKEN_VAL.search(line) for line in lines]
    values = [1.0 - float(m.group(3)) for m in hits if m]
    return [(times[i] - started if i < len(times) else float("nan"), cer) for i, cer in enumerate(values)]


def watch(kraken: subprocess.Popen | None, ours: subprocess.Popen | None, kraken_log: Path,
          deadline: float) -> list[float]:
    """Wait until the deadline or until both stop; stop what still runs. Returns the wall time
    of each kraken validation seen, for its curve."""
    running = [p for p in (kraken, ours) if p is not None]
    times: list[float] = []
    while time.time() < deadline and any(p.poll() is None for p in running):
        time.sleep(5)
        if kraken is not None:
            count = len(KRAKEN_VAL.findall(kraken_log.read_text(encoding="utf-8", errors="replace")))
            times += [time.time()] * (count - len(times))
    for process in running:
        if process.poll() is None:
            process.terminate()
        process.wait(120)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--work", type=Path, default=Path("runs/kraken-compare"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--ketos", default="ketos")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--concurrent", action="store_true", help="both at once, one thread each")
    parser.add_argument("--kraken-freq", type=float, default=0.25, help="kraken validates every this many epochs")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    train, val = prepare_kraken_data(args.shared, args.work / "data")
    kraken_log, ours_log = args.work / "kraken.log", args.work / "scriptio.log"
    threads = 1 if args.concurrent else args.threads
    # our trainer's budget counts training time only; leave room for its validation passes
    ours_minutes = max(args.minutes - 2, 0.9 * args.minutes)
    started = time.time()
    kraken = start_kraken(args.ketos, train, val, args.work / "kraken-model", kraken_log, threads, args.kraken_freq)
    ours = start_scriptio(args.shared, args.work / "scriptio-model", ours_minutes, ours_log, threads) \
        if args.concurrent else None
    kraken_times = watch(kraken, ours, kraken_log, started + 60 * args.minutes)
    if ours is None:
        ours = start_scriptio(args.shared, args.work / "scriptio-model", ours_minutes, ours_log, threads)
        watch(None, ours, kraken_log, time.time() + 60 * args.minutes)
    print(f"command: {' '.join(sys.argv)}\n")
    print("| system | epochs | minutes | hooker val CER |\n| --- | ---: | ---: | ---: |")
    for number, (elapsed, cer) in enumerate(kraken_curve(kraken_log, started, kraken_times), 1):
        print(f"| kraken 7.1.1 | {number * args.kraken_freq:g} | {elapsed / 60:.1f} | {cer:.2%} |")
    history = args.work / "scriptio-model" / "history.json"
    if history.exists():
        for row in json.loads(history.read_text()):
            print(f"| scriptio | {row['epoch']} | {row['elapsed_min']:.1f} (training) | "
                  f"{row['val']['hooker']['cer']:.2%} |")


if __name__ == "__main__":
    main()
