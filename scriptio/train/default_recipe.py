"""The recipe of the bundled default model: `make train-default` (≈2 h on a 2-core CPU).

Trains the CNN-BLSTM on the train splits of every set in ../shared/data/htr and validates on
their val splits, then writes the best epoch to OUT/best.safetensors. Copy it to
scriptio/models/default/model.safetensors to ship it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from scriptio.data.manifest import read_manifest
from scriptio.data.packed import read_pack
from scriptio.errors import ModelError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.finetune import extend_alphabet, fine_tuned_provenance
from scriptio.train.setup import load_cache, new_crnn_recognizer
from scriptio.train.trainer import Source, TrainConfig, Trainer

SETS = ("hooker", "copiste", "peraire", "mss20", "poilus", "lectaurep")
# CRNNConfig fields a fine-tuned model may change: forward() reads them, no layer is built from them.
FINE_TUNABLE_ARCH = ("packed", "end_margin")


def set_manifests(parser: argparse.ArgumentParser, shared: Path) -> dict[str, Path]:
    """The manifests of the sets found under shared/data/htr (naming any missing ones); a clear
    command-line error when there is none."""
    manifests = {name: shared / "data" / "htr" / name / "lines.jsonl" for name in SETS}
    present = {name: manifest for name, manifest in manifests.items() if manifest.exists()}
    if not present:
        parser.error(f"{shared / 'data' / 'htr'} holds none of the sets {', '.join(SETS)}: "
                     "give --shared the folder that holds data/htr")
    if len(present) < len(SETS):
        missing = ", ".join(name for name in SETS if name not in present)
        print(f"no {missing} under {shared / 'data' / 'htr'}: going on without them", flush=True)
    return present


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
    parser.add_argument("--packed", type=Path, default=None,
                        help="train from a pack of normalized lines (python -m scriptio.train.pack) "
                             "instead of the crops in --shared")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--loader-threads", type=int, default=0,
                        help="background threads that augment batches (GPU runs: 4-8)")
    parser.add_argument("--patience", type=int, default=12, help="epochs without val improvement before stopping")
    parser.add_argument("--augment-probability", type=float, default=TrainConfig.augment_probability)
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this model's weights, alphabet and architecture (fine-tuning)")
    parser.add_argument("--keep-epochs", action="store_true",
                        help="keep every epoch's model under OUT/epochs, to average the last ones "
                             "(python -m scriptio.train.average)")
    parser.add_argument("--arch", type=json.loads, default={},
                        help='JSON overrides of CRNNConfig, e.g. \'{"pools": [[2,2],[2,2],[2,1],[2,1]]}\'; '
                             f'with --init only {", ".join(FINE_TUNABLE_ARCH)}')
    parser.add_argument("--weights", type=json.loads, default={},
                        help='JSON sampling weight per set (default 1), e.g. \'{"hooker": 1.5}\'')
    parser.add_argument("--freeze-norm", action="store_true",
                        help="batch norm keeps the --init model's statistics (steadier fine-tunes)")
    parser.add_argument("--width-normalization", action="store_true",
                        help='add the "width" step: stretch lines of dense writing (scriptio.image.width)')
    args = parser.parse_args(argv)
    unknown = sorted(set(args.weights) - set(SETS))
    if unknown:
        parser.error(f"--weights names no training set: {', '.join(unknown)} (sets: {', '.join(SETS)})")
    if args.freeze_norm and args.init is None:
        parser.error("--freeze-norm keeps a trained model's batch-norm statistics: give that model with --init")
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    # The defaults: 8x horizontal downsampling (2x faster training and reading than 4x); the
    # 2-hour budget leaves the model underfitted, so dropout and augmentation stay light.
    config = CRNNConfig.from_json({**CRNNConfig().to_json(), **args.arch})
    try:
        initial = load_recognizer(args.init) if args.init else None  # fine-tuning keeps its architecture
    except ModelError as error:
        parser.error(str(error))
    if initial is not None:
        fixed = sorted(set(args.arch) - set(FINE_TUNABLE_ARCH))
        if fixed:
            parser.error(f"--arch {', '.join(fixed)}: a fine-tuned model keeps its shape; "
                         f"with --init only {', '.join(FINE_TUNABLE_ARCH)} may change")
        config = initial.network.config = dataclasses.replace(initial.network.config, **args.arch)
        initial.metadata = fine_tuned_provenance(args.init, initial.metadata)
    steps = list(initial.steps if initial is not None else DEFAULT_STEPS)
    if args.width_normalization and "width" not in steps:
        steps.append("width")
        if initial is not None:
            initial.steps = tuple(steps)
    started = time.time()
    if args.packed:
        pack = read_pack(args.packed, config.height, steps)
        caches = {group: cache.head(args.limit) for group, cache in pack.items()}
        train_caches = {name: caches[f"{name}/train"] for name in SETS if f"{name}/train" in caches}
        val = {name: caches[f"{name}/val"] for name in SETS if f"{name}/val" in caches}
    else:
        train_caches, val = {}, {}
        for name, manifest in set_manifests(parser, args.shared).items():
            train_caches[name] = load_cache(read_manifest(manifest, "train")[: args.limit], config.height, steps, name)
            records = read_manifest(manifest, "val")[: args.limit]
            if records:
                val[name] = load_cache(records, config.height, steps, name + " val")
    texts = [r.text or "" for cache in train_caches.values() for r in cache.records]
    if initial is not None:
        extend_alphabet(initial, texts)
    recognizer = initial or new_crnn_recognizer(texts, config, steps)
    sources = [Source(name, cache, float(args.weights.get(name, 1.0))) for name, cache in train_caches.items()]
    print(f"loaded {sum(len(s.cache) for s in sources)} train and {sum(len(v) for v in val.values())} "
          f"val lines in {time.time() - started:.0f} s; alphabet {len(recognizer.alphabet.chars)} chars", flush=True)
    train_config = TrainConfig(lr=args.lr, epochs=args.epochs, max_minutes=args.minutes,
                               batch_size=args.batch_size, max_batch_pixels=args.batch_size * 1200,
                               patience=args.patience, seed=args.seed, curriculum_epochs=2, threads=args.threads,
                               device=args.device, loader_threads=args.loader_threads,
                               augment_probability=args.augment_probability, keep_epoch_models=args.keep_epochs,
                               freeze_norm=args.freeze_norm)
    trainer = Trainer(recognizer, sources, val, train_config, args.out,
                      log=lambda message: print(message, flush=True))
    state = trainer.fit(resume=args.resume)
    print(json.dumps({"best_epoch": state.best_epoch, "best_mean_cer": state.best_cer,
                      "counters": state.counters.__dict__}), flush=True)


if __name__ == "__main__":
    main()
