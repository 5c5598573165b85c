"""Re-make a trained paragraph reader's dev choices (read mode, band height, reading on while ink
is left, end threshold) with the current code, as training's evaluation makes them, and save it.

For a reader trained before a choice existed:

    python tools/paragraph_choices.py runs/para1/best.safetensors runs/para1/best-dev.safetensors
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from scriptio.models.recognizer import load_recognizer
from scriptio.train.paragraph_task import ParagraphTask
from scriptio.train.paragraph_training import dev_blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a paragraph reader")
    parser.add_argument("out", type=Path, help="where to write it with the choices made")
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out}: exists already (give a new file)")
    torch.set_num_threads(args.threads)
    model = load_recognizer(args.model)
    pages = sorted((args.shared / "data" / "htr").glob("*/pages.jsonl"))
    dev = dev_blocks(pages, model.network.config.pitch, print)
    task = ParagraphTask(model.network, model.alphabet, [], [], dev, None, model.network.config.pitch)
    result = task.evaluate(model.network)
    print(result)
    model.save(args.out, {"dev_choices": result})


if __name__ == "__main__":
    main()
