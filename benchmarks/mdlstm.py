"""MDLSTM recognizer against the CNN-BLSTM: similar parameter count, the same training time.

    python benchmarks/mdlstm.py --shared ../shared --out runs/mdlstm-bench [--set hooker] \\
        [--minutes 50] [--threads 1] [--mdlstm-hidden 32] [--crnn-hidden 24 --crnn-layers 2]

Both recognizers train from scratch on one set's train split without its dev documents (the dev
lines choose each run's best model), side by side, each on --threads CPU threads for --minutes of
training (evaluations not counted), with the same recipe (Adam, cosine schedule, augmentation,
EMA). Then each reads the set's val lines greedily, one model after the other on all the CPU
threads, and the script prints: parameters, lines trained and training lines/s, best dev CER,
val CER and WER, reading lines/s. Runs already in OUT are read again, not retrained.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

from classic import read, train_manifest
from scriptio.data.manifest import read_manifest
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import read_model_file
from scriptio.train.setup import load_cache

SYSTEMS = ("mdlstm", "crnn")


def train_command(name: str, args, train: Path, dev: Path) -> list[str]:
    shape = (["--arch", "mdlstm", "--hidden", str(args.mdlstm_hidden)] if name == "mdlstm" else
             ["--arch", "crnn", "--hidden", str(args.crnn_hidden), "--layers", str(args.crnn_layers)])
    return [sys.executable, "-m", "scriptio.cli", "train", str(train), "--val", str(dev), *shape,
            "--minutes", str(args.minutes), "--epochs", "1000", "--patience", "1000",
            "--threads", str(args.threads), "--out", str(args.out / name)]


def train_side_by_side(names: list[str], args, train: Path, dev: Path) -> None:
    """Start every run not yet trained at once and wait for them; each logs to OUT/NAME.log."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    running = []
    for name in names:
        if (args.out / name / "best.safetensors").exists():
            continue
        (args.out / name).mkdir(parents=True, exist_ok=True)
        log = (args.out / f"{name}.log").open("w", encoding="utf-8")
        print(f"training {name}: {' '.join(train_command(name, args, train, dev))}", file=sys.stderr, flush=True)
        running.append((name, subprocess.Popen(train_command(name, args, train, dev), stdout=log,
                                               stderr=subprocess.STDOUT, env=env), log))
    for name, process, log in running:
        if process.wait() != 0:
            for _, other, _ in running:       # the comparison needs both: stop the rest
                other.terminate()
            sys.exit(f"training {name} failed: see {args.out / f'{name}.log'}")
        log.close()


def training_figures(model_file: Path) -> dict:
    """Parameters, and from the run's evaluations: minutes trained, lines/s, best dev CER."""
    tensors, _ = read_model_file(model_file)
    history = json.loads((model_file.parent / "history.json").read_text(encoding="utf-8"))
    return {"parameters": sum(v.numel() for v in tensors.values()), "minutes": history[-1]["minutes"],
            "lines_per_s": history[-1]["items_per_s"], "dev_cer": min(h["score"] for h in history)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("runs/mdlstm-bench"))
    parser.add_argument("--set", default="hooker", help="the set of ../shared/data/htr to train and read")
    parser.add_argument("--minutes", type=float, default=50.0, help="training time of each recognizer")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of each training run")
    parser.add_argument("--read-threads", type=int, default=2)
    parser.add_argument("--val-lines", type=int, default=0, help="0: every val line")
    parser.add_argument("--mdlstm-hidden", type=int, default=32, help="units per direction of the last MDLSTM stage")
    parser.add_argument("--crnn-hidden", type=int, default=24)
    parser.add_argument("--crnn-layers", type=int, default=2)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    args = parser.parse_args()
    names = args.systems.split(",")
    train, _ = train_manifest(args.shared, args.out, args.set)
    dev = args.out / f"{args.set}-dev.jsonl"
    train_side_by_side(names, args, train, dev)

    torch.set_num_threads(args.read_threads)
    val_records = read_manifest(args.shared / "data" / "htr" / args.set / "lines.jsonl", "val")
    val_records = val_records[: args.val_lines] if args.val_lines else val_records
    train_lines = sum(1 for _ in train.open(encoding="utf-8"))
    rows = []
    for name in names:
        model_file = args.out / name / "best.safetensors"
        figures = training_figures(model_file)
        model = load_recognizer(model_file)
        cache = load_cache(val_records, model.height, model.steps)
        texts = [r.text or "" for r in cache.records]
        started = time.time()
        rate = read(model, cache.images, texts)
        speed = len(texts) / (time.time() - started)
        trained = figures["lines_per_s"] * 60 * figures["minutes"]
        rows.append(f"| {name} | {figures['parameters'] / 1e6:.3f} | {figures['minutes']:.1f} | "
                    f"{figures['lines_per_s']:.1f} | {trained:,.0f} ({trained / train_lines:.1f} epochs) | "
                    f"{100 * figures['dev_cer']:.1f}% | {100 * rate.cer:.2f}% | "
                    f"{100 * rate.wer:.1f}% | {speed:.1f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"machine: {platform.processor() or platform.machine()}; training on {args.threads} thread(s) each, "
          f"side by side; reading on {args.read_threads}; command: {' '.join(sys.argv)}")
    print(f"{args.set}: {train_lines} train lines (dev documents held out to choose each run's best model), "
          f"{len(val_records)} val lines read greedily\n")
    print("| recognizer | parameters (M) | training min | training lines/s | lines trained | best dev CER "
          "| val CER | val WER | reading lines/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
