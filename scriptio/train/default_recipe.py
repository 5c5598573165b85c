"""The recipe of the bundled default model: `make train-default` (≈2 h on a 2-core CPU).

Trains the CNN-BLSTM on the train splits of every set in ../shared/data/htr and validates on
their val splits, then writes the best epoch to OUT/best.safetensors. Copy it to
scriptio/models/default/model.safetensors to ship it.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from scriptio.data.manifest import read_manifest
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.setup import load_cache, new_crnn_recognizer
from scriptio.train.trainer import Source, TrainConfig, Trainer

SETS = ("hooker", "copiste", "peraire", "mss20")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("runs/default"))
    parser.add_argument("--minutes", type=float, default=110.0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit", type=int, default=None, help="lines per set (smoke tests)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    # The defaults: 8x horizontal downsampling (2x faster training and reading than 4x); the
    # 2-hour budget leaves the model underfitted, so dropout and augmentation stay light.
    config = CRNNConfig()
    train_records, val_records = {}, {}
    for name in SETS:
        manifest = args.shared / "data" / "htr" / name / "lines.jsonl"
        train_records[name] = read_manifest(manifest, "train")[: args.limit]
        val_records[name] = read_manifest(manifest, "val")[: args.limit]
    texts = [r.text or "" for records in train_records.values() for r in records]
    recognizer = new_crnn_recognizer(texts, config)
    started = time.time()
    sources = [Source(name, load_cache(records, config.height, recognizer.steps, name), 1.0)
               for name, records in train_records.items()]
    val = {name: load_cache(records, config.height, recognizer.steps, name + " val")
           for name, records in val_records.items() if records}
    print(f"loaded {sum(len(s.cache) for s in sources)} train and {sum(len(v) for v in val.values())} "
          f"val lines in {time.time() - started:.0f} s; alphabet {len(recognizer.alphabet.chars)} chars", flush=True)
    train_config = TrainConfig(lr=1e-3, epochs=args.epochs, max_minutes=args.minutes, batch_size=16,
                               patience=12, seed=args.seed, curriculum_epochs=2, threads=args.threads,
                               device=args.device)
    trainer = Trainer(recognizer, sources, val, train_config, args.out,
                      log=lambda message: print(message, flush=True))
    state = trainer.fit(resume=args.resume)
    print(json.dumps({"best_epoch": state.best_epoch, "best_mean_cer": state.best_cer,
                      "counters": state.counters.__dict__}), flush=True)


if __name__ == "__main__":
    main()
