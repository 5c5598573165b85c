"""Language models: perplexity on held-out text, and CER/WER/speed of decoding with each.

    python benchmarks/lm.py --shared ../shared [--model PATH] [--beam 10] [--tune]

For the default optical model on the hooker (English), copiste and peraire (French) val
lines: greedy decoding vs CTC prefix beam search with the bundle's character n-gram, its word
n-gram alone, and the hybrid word/character model. Posteriors are computed once per set, so
lines/s covers decoding only (the network's own speed is in benchmarks/read_speed.py).

--tune first grid-searches LM weight and word bonus for each model kind on the first
`--tune-lines` val lines of each language (validation data, never test), writes the best
kind and its settings into the bundle's lm.json, and then measures on every val line.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from scriptio.api import load_model
from scriptio.data.manifest import read_manifest
from scriptio.decode.ctc import ctc
from scriptio.image.io import load_gray
from scriptio.lm import tokenize
from scriptio.lm.arpa import read_arpa
from scriptio.lm.bundle import BUNDLE_FILE, BUNDLED
from scriptio.lm.hybrid import HybridModel
from scriptio.text.metrics import ErrorRate

SETS = {"hooker": "en", "copiste": "fr", "peraire": "fr"}
WEIGHTS = (0.3, 0.6, 1.0)
BONUSES = {"char": (0.0, 1.0, 2.0), "word": (0.0, 1.5, 3.0), "hybrid": (0.0, 1.5, 3.0)}


def val_posteriors(recognizer, shared: Path, name: str) -> tuple[list[np.ndarray], list[str]]:
    records = [r for r in read_manifest(shared / "data" / "htr" / name / "lines.jsonl", "val") if r.text]
    lines = [recognizer.normalize(load_gray(r.image_path), r.polygon, r.baseline) for r in records]
    return recognizer.line_posteriors(lines), [r.text or "" for r in records]


def load_kinds(folder: Path) -> dict[str, object]:
    info = json.loads((folder / BUNDLE_FILE).read_text(encoding="utf-8"))
    files = info["files"]
    words, chars = read_arpa(folder / files["hybrid_words"]), read_arpa(folder / files["hybrid_spelling"])
    return {"char": read_arpa(folder / files["char"]), "word": words, "hybrid": HybridModel(words, chars)}


def decode_all(posteriors, texts, alphabet, **decoding) -> tuple[ErrorRate, float]:
    rate = ErrorRate()
    started = time.perf_counter()
    for frames, truth in zip(posteriors, texts):
        rate.add(truth, ctc(frames, alphabet, **decoding)[0].text)
    return rate, len(texts) / max(time.perf_counter() - started, 1e-9)


def perplexities(models: dict[str, object], texts: list[str]) -> dict[str, float]:
    out = {"char": models["char"].perplexity([tokenize(t, "char") for t in texts]),
           "word": models["word"].perplexity([tokenize(t, "word") for t in texts])}
    hybrid: HybridModel = models["hybrid"]
    total = sum(hybrid.score_words(tokenize(t, "word")) for t in texts)
    count = sum(len(tokenize(t, "word")) + 1 for t in texts)
    out["hybrid"] = 10.0 ** (-total / count)
    return out


def tune(kind: str, model, data: list[tuple[list, list[str]]], alphabet, beam: int) -> tuple[float, float, float]:
    """(weight, bonus, score) minimizing CER + WER summed over the tuning lines."""
    best = (0.0, 0.0, float("inf"))
    for weight in WEIGHTS:
        for bonus in BONUSES[kind]:
            score = 0.0
            for posteriors, texts in data:
                rate, _ = decode_all(posteriors, texts, alphabet, beam=beam, lm=model, lm_weight=weight,
                                     word_bonus=bonus)
                score += rate.cer + rate.wer
            print(f"  tune {kind} weight {weight} bonus {bonus}: CER+WER {score:.4f}", file=sys.stderr, flush=True)
            if score < best[2]:
                best = (weight, bonus, score)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--bundles", type=Path, default=BUNDLED)
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--tune-lines", type=int, default=120)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recognizer = load_model(args.model)
    alphabet = recognizer.alphabet
    data = {name: val_posteriors(recognizer, args.shared, name) for name in SETS}
    torch.set_num_threads(1)
    rows, perplexity_rows = [], []
    for language in sorted(set(SETS.values())):
        folder = args.bundles / language
        models = load_kinds(folder)
        sets = [name for name, lang in SETS.items() if lang == language]
        held_out = [t for name in sets for t in data[name][1]]
        ppl = perplexities(models, held_out)
        perplexity_rows.append(f"| {language} | {', '.join(sets)} val transcriptions | {ppl['char']:.2f} "
                               f"| {ppl['word']:.1f} | {ppl['hybrid']:.1f} |")
        info = json.loads((folder / BUNDLE_FILE).read_text(encoding="utf-8"))
        settings = info.get("tuned", {})
        if args.tune:
            subset = [(data[n][0][: args.tune_lines], data[n][1][: args.tune_lines]) for n in sets]
            settings = {}
            for kind, model in models.items():
                weight, bonus, score = tune(kind, model, subset, alphabet, args.beam)
                settings[kind] = {"lm_weight": weight, "word_bonus": bonus, "tune_cer_plus_wer": round(score, 4)}
            best = min(settings, key=lambda k: settings[k]["tune_cer_plus_wer"])
            info.update(tuned=settings, kind=best, beam=args.beam, **{k: settings[best][k]
                                                                      for k in ("lm_weight", "word_bonus")})
            (folder / BUNDLE_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        for name in sets:
            posteriors, texts = data[name]
            greedy, speed = decode_all(posteriors, texts, alphabet)
            rows.append(f"| {name} | greedy | – | {100 * greedy.cer:.2f}% | {100 * greedy.wer:.2f}% | – | – | {speed:.0f} |")
            for kind, model in models.items():
                chosen = settings.get(kind, {"lm_weight": 0.5, "word_bonus": 0.5})
                rate, speed = decode_all(posteriors, texts, alphabet, beam=args.beam, lm=model,
                                         lm_weight=chosen["lm_weight"], word_bonus=chosen["word_bonus"])
                rows.append(f"| {name} | {kind} {language} | {chosen['lm_weight']}/{chosen['word_bonus']} "
                            f"| {100 * rate.cer:.2f}% | {100 * rate.wer:.2f}% "
                            f"| {100 * (1 - rate.cer / greedy.cer):+.1f}% | {100 * (1 - rate.wer / greedy.wer):+.1f}% "
                            f"| {speed:.0f} |")
    print(f"machine: {platform.processor() or platform.machine()}, decoding on 1 thread, torch {torch.__version__}")
    print(f"command: python benchmarks/lm.py {' '.join(argv if argv is not None else sys.argv[1:])}\n")
    print("| language | held-out text | char perplexity | word perplexity | hybrid perplexity (per word) |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(perplexity_rows))
    print(f"\n| set | decoding (beam {args.beam}) | weight/bonus | CER | WER | CER gain | WER gain | lines/s |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\nGains are relative to greedy decoding of the same posteriors. Weights were tuned on the first "
          f"{args.tune_lines} val lines of each language (minimum CER + WER); lines/s is decoding only, one thread.")


if __name__ == "__main__":
    main()
