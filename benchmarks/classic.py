"""The classic recognizers and their hybrids side by side, trained and read on hooker.

    python benchmarks/classic.py --shared ../shared --out runs/classic [--train-lines 0] \\
        [--val-lines 300] [--minutes 20] [--systems hmm,hybrid-mlp,...]

Trains, on the hooker train split (all of it with --train-lines 0), a GMM-HMM, hybrids (MLP,
deep MLP, BLSTM frame classifiers on its alignments), CTC BLSTMs on handcrafted and on pixel
frames, and MLPs of equal parameter count at several depths; reads the first --val-lines val
lines greedily (character loop, no LM) and with a closed lexicon + word bigram built from the
train transcriptions; and prints CER, WER, frame error rate, training time and parameters, with
the bundled CNN-BLSTM as the reference. Runs already trained in OUT are read again, not retrained.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from scriptio.data.manifest import read_manifest
from scriptio.data.splits import split_dev
from scriptio.decode.decoder import CtcDecoder
from scriptio.lm import build_lm
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import read_model_file
from scriptio.text.metrics import ErrorRate
from scriptio.train.setup import load_cache

SYSTEMS = ("hmm", "hybrid-mlp", "hybrid-deep-mlp", "hybrid-blstm", "ctc-blstm-features", "ctc-blstm-pixels",
           "mlp-depth-1", "mlp-depth-2", "mlp-depth-4")
# Equal parameter budgets (about 1.1 M weights at 56 x 9 inputs and ~500 states): wide and shallow
# against narrow and deep.
# LM weight and word bonus tried on dev lines: HMM scores are summed frame log-likelihoods, far
# larger than a network's log posteriors, so their language model needs a larger scale.
GRID = {"hmm": [(w, b) for w in (10.0, 20.0, 40.0, 80.0) for b in (-80.0, -40.0, -20.0, 0.0)],
        "hybrid": [(w, b) for w in (1.0, 3.0, 6.0, 10.0) for b in (-5.0, 0.0)],
        "ctc-frames": [(w, b) for w in (0.3, 0.6, 1.0) for b in (0.0, 1.5)]}
DEPTH_WIDTH = {"mlp-depth-1": (1, 1024), "mlp-depth-2": (2, 660), "mlp-depth-4": (4, 420)}


def train_manifest(shared: Path, out: Path, name: str = "hooker") -> tuple[Path, list]:
    """A set's train split without its dev documents, as a manifest of its own (written to OUT,
    with the dev lines beside it as NAME-dev.jsonl); and the dev lines."""
    source = shared / "data" / "htr" / name / "lines.jsonl"
    rows = {row["id"]: row for row in map(json.loads, source.read_text(encoding="utf-8").splitlines())}
    train, dev = split_dev(read_manifest(source, "train"))
    out.mkdir(parents=True, exist_ok=True)
    for split, records in (("train", train), ("dev", dev)):
        (out / f"{name}-{split}.jsonl").write_text(
            "".join(json.dumps(dict(rows[r.id], image=str(r.image_path.resolve()))) + "\n" for r in records),
            encoding="utf-8")
    return out / f"{name}-train.jsonl", dev


def train_system(name: str, manifest: Path, out: Path, train_lines: int | None, minutes: float, log) -> float:
    """Train one system into out/name unless already there; return training minutes."""
    from scriptio.train.frame_training import FrameTraining, run_frame_training
    from scriptio.train.hmm_training import HmmTraining, run_hmm_training

    folder = out / name
    if (folder / "best.safetensors").exists():
        return json.loads((folder / "minutes.json").read_text())["minutes"] if (folder / "minutes.json").exists() else 0.0
    train, dev = [str(manifest)], []
    started = time.time()
    if name == "hmm":
        run_hmm_training(HmmTraining(data=train, out=folder, mixtures=16, iterations=4, limit=train_lines), log)
    else:
        arch, features, overrides = name, "handcrafted", {}
        if name.startswith("ctc-blstm"):
            arch, features = "ctc-blstm", name.split("-")[-1].replace("features", "handcrafted")
        if name in DEPTH_WIDTH:
            layers, hidden = DEPTH_WIDTH[name]
            arch, overrides = "hybrid-mlp", {"layers": layers, "hidden": hidden}
        run_frame_training(FrameTraining(data=train, out=folder, arch=arch, val=dev, features=features,
                                         hmm=out / "hmm" / "best.safetensors" if arch.startswith("hybrid") else None,
                                         minutes=minutes, epochs=1000, limit=train_lines, overrides=overrides), log)
    spent = (time.time() - started) / 60
    (folder / "minutes.json").write_text(json.dumps({"minutes": round(spent, 1)}))
    return spent


def frame_error_rate(model, images, texts) -> float | None:
    """Share of frames whose best state differs from the GMM-HMM's forced alignment (hybrids)."""
    from scriptio.train.frame_training import align

    if model.kind != "hybrid":
        return None
    kept, labels = align(model, images, texts)
    wrong = total = 0
    for index, label in zip(kept, labels):
        predicted = model.line_emissions(images[index]).argmax(axis=1)
        wrong += int((predicted[: len(label)] != label).sum())
        total += len(label)
    return wrong / max(total, 1)


def tune(model, images, texts, words, grid) -> tuple[float, float]:
    """The (lm_weight, word_bonus) of `grid` that reads the dev lines best (CER + WER)."""
    best, chosen = float("inf"), grid[0]
    for weight, bonus in grid:
        rate = read(model, images, texts, CtcDecoder(beam=10, lm=words, lm_weight=weight, word_bonus=bonus))
        if rate.cer + rate.wer < best:
            best, chosen = rate.cer + rate.wer, (weight, bonus)
    return chosen


def read(model, images, texts, decoder=None) -> ErrorRate:
    rate = ErrorRate()
    for text, result in zip(texts, model.recognize(images, decoder)):
        rate.add(text, result.text)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("runs/classic"))
    parser.add_argument("--train-lines", type=int, default=0, help="0: the whole train split")
    parser.add_argument("--val-lines", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=20.0, help="training budget of each network")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--tune-lines", type=int, default=40, help="dev lines to tune LM weight and bonus on")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (1 to run two of these side by side)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    hooker = args.shared / "data" / "htr" / "hooker" / "lines.jsonl"
    manifest, dev_records = train_manifest(args.shared, args.out)
    train_texts = [r.text for r in read_manifest(manifest) if r.text]
    words = build_lm(train_texts, "word", 2)
    val_records = read_manifest(hooker, "val")[: args.val_lines]
    dev_records = dev_records[: args.tune_lines]
    rows = []
    for name in args.systems.split(","):
        minutes = train_system(name, manifest, args.out, args.train_lines or None, args.minutes, log)
        model = load_recognizer(args.out / name / "best.safetensors")
        cache = load_cache(val_records, model.height, model.steps)
        texts = [r.text or "" for r in cache.records]
        dev = load_cache(dev_records, model.height, model.steps)
        grid = GRID.get(model.kind, GRID["ctc-frames"])
        weight, bonus = tune(model, dev.images, [r.text or "" for r in dev.records], words, grid)
        started = time.time()
        plain = read(model, cache.images, texts)
        speed = len(texts) / (time.time() - started)
        with_lm = read(model, cache.images, texts, CtcDecoder(beam=10, lm=words, lm_weight=weight, word_bonus=bonus))
        fer = frame_error_rate(model, cache.images, texts)
        parameters = sum(v.numel() for v in read_model_file(args.out / name / "best.safetensors")[0].values())
        rows.append(f"| {name} | {model.kind} | {parameters / 1e6:.2f} | {minutes:.0f} | "
                    f"{'–' if fer is None else f'{100 * fer:.1f}%'} | {100 * plain.cer:.1f}% | {100 * plain.wer:.1f}% | "
                    f"{100 * with_lm.cer:.1f}% | {100 * with_lm.wer:.1f}% | {weight:g}/{bonus:g} | {speed:.1f} |")
        log(rows[-1])
    reference = load_recognizer("default")
    cache = load_cache(val_records, reference.height, reference.steps)
    texts = [r.text or "" for r in cache.records]
    plain = read(reference, cache.images, texts)
    with_lm = read(reference, cache.images, texts, CtcDecoder(beam=10, lm=words, lm_weight=0.6, word_bonus=1.0))
    rows.append(f"| bundled CNN-BLSTM (all sets) | ctc | 2.65 | – | – | {100 * plain.cer:.1f}% | {100 * plain.wer:.1f}% | "
                f"{100 * with_lm.cer:.1f}% | {100 * with_lm.wer:.1f}% | 0.6/1 | – |")
    print(f"machine: {platform.processor() or platform.machine()}, {args.threads} threads; command: {' '.join(sys.argv)}")
    print(f"hooker: trained on {'all' if not args.train_lines else args.train_lines} train lines, read on the first "
          f"{len(val_records)} val lines; LM: word bigram of the train transcriptions (closed vocabulary)\n")
    print("| system | kind | parameters (M) | training min | FER | CER | WER | CER, lexicon + LM | WER, lexicon + LM "
          "| LM weight/bonus (tuned on dev) | lines/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
