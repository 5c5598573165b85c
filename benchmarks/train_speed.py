"""Training speed of line recognizers: lines per second through the whole training step
(device batching, augmentation, forward, CTC, backward, optimizer, weight averaging).

    python benchmarks/train_speed.py --pack work/lines.tar --device cuda --seconds 20 \\
        --arch '{}' --arch '{"stage_blocks": [0,0,1,1], "hidden": 256}'

Prints one Markdown row per architecture (and per augmentation setting with --both).
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from scriptio.data.augment_batch import BatchAugmentParams
from scriptio.data.linepack import read_pack
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.models.ctc import CtcRecognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.text.codec import Alphabet
from scriptio.train.ctc_task import CtcLineTask, LineSet
from scriptio.train.engine import Engine, EngineConfig
from scriptio.train.recognizer_recipe import DEFAULT_ARCH


def measure(arch: dict, groups: dict, device: str, seconds: float, augment: bool, batch_columns: int,
            max_batch: int, precision: str) -> dict:
    train = {g.split("/")[0]: c for g, c in groups.items() if g.endswith("/train")}
    texts = {name: [r.text or "" for r in cache.records] for name, cache in train.items()}
    alphabet = Alphabet.from_texts([t for group in texts.values() for t in group])
    config = CRNNConfig.from_json({**CRNNConfig().to_json(), **DEFAULT_ARCH, **arch})
    config.num_classes = alphabet.num_classes
    recognizer = CtcRecognizer(CRNN(config), alphabet, [*DEFAULT_STEPS, "width"])
    if device.startswith("cuda"):
        recognizer.network.to(memory_format=torch.channels_last)
    task = CtcLineTask(recognizer, [LineSet(n, c.images, texts[n]) for n, c in train.items()], {}, device=device,
                       batch_columns=batch_columns, max_batch=max_batch,
                       augment=BatchAugmentParams() if augment else None)
    engine = Engine(task, EngineConfig(device=device, precision=precision), Path("/tmp/train_speed"), log=lambda m: None)

    def run(duration: float) -> tuple[int, int, float]:
        lines = steps = 0
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        while time.perf_counter() - started < duration:
            engine.set_lr()
            batch = task.next_batch(engine.generator, 0.5)
            engine.step(batch)
            lines += batch["count"]
            steps += 1
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return lines, steps, time.perf_counter() - started

    run(min(10.0, seconds / 3))  # warm-up: kernels chosen, memory pools grown
    lines, steps, elapsed = run(seconds)
    memory = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")
    parameters = sum(p.numel() for p in recognizer.network.parameters())
    return {"arch": json.dumps(arch), "params_M": parameters / 1e6, "augment": augment, "lines_per_s": lines / elapsed,
            "mean_batch": lines / max(steps, 1), "ms_per_step": 1000 * elapsed / max(steps, 1), "gpu_GiB": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--arch", type=json.loads, action="append", default=None)
    parser.add_argument("--batch-columns", type=int, default=160_000)
    parser.add_argument("--max-batch", type=int, default=256)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--both", action="store_true", help="also measure without augmentation")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    groups = {g: c.head(args.limit) for g, c in read_pack(args.pack, 48, [*DEFAULT_STEPS, "width"]).items()}
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    print(f"device: {device_name}; torch {torch.__version__}; {args.seconds:.0f} s per row; "
          f"batch ≤ {args.max_batch} lines and ≤ {args.batch_columns} pixel columns; precision {args.precision}")
    print("| arch | params (M) | augmentation | lines/s | mean batch | ms/step | peak GPU GiB |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for arch in args.arch or [{}]:
        for augment in ((True, False) if args.both else (True,)):
            row = measure(arch, groups, args.device, args.seconds, augment, args.batch_columns, args.max_batch,
                          args.precision)
            print(f"| `{row['arch']}` | {row['params_M']:.2f} | {'on' if augment else 'off'} | "
                  f"{row['lines_per_s']:.0f} | {row['mean_batch']:.0f} | {row['ms_per_step']:.0f} | "
                  f"{row['gpu_GiB']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
