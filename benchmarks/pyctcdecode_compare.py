"""Our CTC prefix beam search vs pyctcdecode (KenLM inside) on the same posteriors and word LM.

    pip install pyctcdecode==0.5.0 kenlm==0.3.0     # benchmark-only; kenlm compiles in ~1 min
    python benchmarks/pyctcdecode_compare.py --shared ../shared [--set hooker] [--lm en] [--beam 10]

Both decoders get the default model's posteriors for the set's val lines, the bundle's word
n-gram (hybrid-words.arpa.gz, decompressed for KenLM), the same LM weight and per-word bonus (natural
logs in both) and the same beam width. Prints CER, WER and lines/s (decoding only, one thread).
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from scriptio.api import load_model
from scriptio.decode.ctc import ctc
from scriptio.decode.kenlm_words import plain_arpa
from scriptio.lm.arpa import read_arpa
from scriptio.lm.bundle import BUNDLED, FILES, load_language_model
from scriptio.text.metrics import ErrorRate

sys.path.insert(0, str(Path(__file__).parent))
from lm import val_posteriors  # noqa: E402  (benchmarks/lm.py)


def run(name: str, decode, posteriors: list[np.ndarray], texts: list[str]) -> str:
    rate = ErrorRate()
    started = time.perf_counter()
    for frames, truth in zip(posteriors, texts):
        rate.add(truth, decode(frames))
    speed = len(texts) / max(time.perf_counter() - started, 1e-9)
    return f"| {name} | {100 * rate.cer:.2f}% | {100 * rate.wer:.2f}% | {speed:.1f} |"


def main(argv: list[str] | None = None) -> None:
    from pyctcdecode import build_ctcdecoder

    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--set", default="hooker")
    parser.add_argument("--lm", default="en")
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--weight", type=float, default=None, help="LM weight (default: the bundle's tuned word weight)")
    parser.add_argument("--bonus", type=float, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    recognizer = load_model(None)
    posteriors, texts = val_posteriors(recognizer, args.shared, args.set)
    torch.set_num_threads(1)
    choice = load_language_model(args.lm)
    tuned = choice.info.get("tuned", {}).get("word", {})
    weight = args.weight if args.weight is not None else tuned.get("lm_weight", 0.5)
    bonus = args.bonus if args.bonus is not None else tuned.get("word_bonus", 1.0)
    folder = BUNDLED / args.lm if (BUNDLED / args.lm).is_dir() else Path(args.lm)
    words = read_arpa(folder / FILES["hybrid_words"])
    words.source = None  # a model not tied to its file stays with our decoder (ctc() would route it)
    labels = [""] + list(recognizer.alphabet.chars)
    rows = [run("greedy", lambda f: ctc(f, recognizer.alphabet)[0].text, posteriors, texts),
            run(f"scriptio beam {args.beam}, word LM", lambda f: ctc(f, recognizer.alphabet, beam=args.beam, lm=words,
                lm_weight=weight, word_bonus=bonus, nbest=1)[0].text, posteriors, texts)]
    decoder = build_ctcdecoder(labels, kenlm_model_path=str(plain_arpa(folder / FILES["hybrid_words"])),
                               alpha=weight, beta=bonus)
    rows.append(run(f"pyctcdecode beam {args.beam}, same word LM (KenLM)",
                    lambda f: decoder.decode(f, beam_width=args.beam).strip(), posteriors, texts))
    print(f"machine: {platform.processor() or platform.machine()}, decoding on 1 thread")
    print(f"command: python benchmarks/pyctcdecode_compare.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"set: {args.set} val ({len(texts)} lines), LM: {folder}/{FILES["hybrid_words"]}, weight {weight}, bonus {bonus}\n")
    print("| decoder | CER | WER | lines/s |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
