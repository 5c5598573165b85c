"""Train a line recognizer from a line pack, with synthetic pretraining faded into real lines.

    python -m scriptio.train.recognizer_recipe --pack work/lines.tar --out runs/r1 \\
        --minutes 60 [--synth 100000 --fonts DIR --text FILE ...] [--device cuda] [--arch JSON]

Reads `<set>/train` groups to train and `<set>/dev` groups to choose (the pack's `val` groups are
never looked at: report val once, for the model you keep, with benchmarks/recognition.py).
Synthetic lines are rendered from handwriting fonts in parallel processes before training and
normalized as real ones; their share of each batch fades from `--synth-share` START to END over
the first UNTIL of the run, so one run pretrains on fonts and ends on real hands.
Writes OUT/best.safetensors (best dev CER of the averaged weights, 16-bit), OUT/last.safetensors,
OUT/checkpoint.pt (resume with --resume) and OUT/history.json.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from scriptio.data.packed import read_pack_adding
from scriptio.image.normalize import extract_line
from scriptio.models.recognizer import LineRecognizer, load_recognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.text.codec import Alphabet
from scriptio.train.ctc_task import CtcLineTask, LineSet
from scriptio.train.engine import Engine, EngineConfig

FRENCH_SETS = ("copiste", "peraire", "mss20", "poilus", "lectaurep")
# 4x horizontal downsampling (about 3-4 frames per character at 48 px), a packed BLSTM that
# reads each line as if alone (see nets.crnn).
DEFAULT_ARCH = {"pools": [[2, 2], [2, 2], [2, 1], [2, 1]], "packed": True, "end_margin": 16, "dropout": 0.25}


def synth_share_weight(start: float, end: float, until: float, synth_lines: int, real_lines: int):
    """Per-line weight of the synthetic set giving it `start`..`end` of each batch."""
    def weight(progress: float) -> float:
        share = end + (start - end) * max(0.0, 1.0 - progress / until)
        return share / max(1e-6, 1 - share) * real_lines / max(synth_lines, 1)
    return weight


_TEXTS: list[str] = []


def _set_texts(texts: list[str]) -> None:
    """Worker start-up: the text pool is sent once per process, not once per job."""
    global _TEXTS
    _TEXTS = texts
    torch.set_num_threads(1)


def _render_chunk(job: tuple) -> tuple[list[np.ndarray], list[str]]:
    fonts, count, seed, height, steps = job
    from scriptio.data.synth import synth_lines

    images, drawn = [], []
    for image, text, _font in synth_lines(_TEXTS, fonts, count, seed, height=64):
        try:
            images.append(extract_line(image, None, None, height=height, steps=steps))
        except ValueError:
            continue
        drawn.append(text)
    return images, drawn


def render_synthetic(texts: list[str], fonts: Path | None, count: int, seed: int, height: int,
                     steps: list[str], workers: int, log=print) -> tuple[list[np.ndarray], list[str]]:
    """`count` synthetic normalized lines, rendered by `workers` processes (deterministic per seed
    and worker count)."""
    started = time.time()
    workers = max(1, workers)
    jobs = [(fonts, count // workers + (i < count % workers), seed * 1000 + i, height, steps)
            for i in range(workers)]
    images: list[np.ndarray] = []
    drawn: list[str] = []
    with ProcessPoolExecutor(workers, initializer=_set_texts, initargs=(texts,)) as pool:
        for chunk_images, chunk_texts in pool.map(_render_chunk, jobs):
            images += chunk_images
            drawn += chunk_texts
    log(f"rendered {len(images)} synthetic lines in {time.time() - started:.0f} s")
    return images, drawn


def synthetic_texts(text_files: list[Path], french: list[str], alphabet: Alphabet, seed: int,
                    limit: int = 200_000) -> list[str]:
    """Line-length snippets of English running text and of the French training transcriptions,
    half each, keeping only those the model can spell."""
    from scriptio.data.synth import text_snippets

    rng = np.random.default_rng(seed)
    english: list[str] = []
    for path in text_files:
        english += text_snippets(path, rng, limit=limit)
    pieces: list[str] = []
    for text in french:  # whole lines and their halves, so French lines vary in length too
        words = text.split()
        pieces.append(text)
        if len(words) > 3:
            pieces += [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:])]
    known = set(alphabet.chars)
    english = [t for t in english if set(t) <= known]
    pieces = [t for t in pieces if set(t) <= known]
    rng.shuffle(english)
    half = min(len(english), max(len(pieces), limit // 2))
    return english[:half] + pieces


def save_lines(path: Path, images: list[np.ndarray], texts: list[str]) -> None:
    """Lines of one height as one raw array (fast to load many times on one machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp.npz")
    np.savez(temp, pixels=np.concatenate(images, axis=1), widths=np.array([i.shape[1] for i in images]),
             texts=np.array(json.dumps(texts, ensure_ascii=False)))
    os.replace(temp, path)


def load_lines(path: Path) -> tuple[list[np.ndarray], list[str]]:
    with np.load(path) as data:
        pixels, widths, texts = data["pixels"], data["widths"], json.loads(str(data["texts"]))
    bounds = np.concatenate([[0], np.cumsum(widths)])
    return [pixels[:, a:b] for a, b in zip(bounds[:-1], bounds[1:])], texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--arch", type=json.loads, default={}, help="JSON overrides of CRNNConfig")
    parser.add_argument("--init", type=Path, default=None, help="start from this model (its shape and alphabet)")
    parser.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt")
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--batch-columns", type=int, default=160_000, help="pixel columns per batch")
    parser.add_argument("--max-batch", type=int, default=256)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--eval-minutes", type=float, default=1.0)
    parser.add_argument("--augment", type=float, default=0.85, help="share of lines distorted")
    parser.add_argument("--synth", type=int, default=0, help="synthetic lines to render before training")
    parser.add_argument("--synth-share", default="0.5,0.05,0.5", help="START,END,UNTIL of the synthetic share")
    parser.add_argument("--synth-cache", type=Path, default=None,
                        help="keep the rendered lines in this .npz and reuse them when it exists")
    parser.add_argument("--render-only", action="store_true", help="render --synth lines into --synth-cache and stop")
    parser.add_argument("--fonts", type=Path, default=None)
    parser.add_argument("--text", type=Path, action="append", default=[], help="English running text (repeatable)")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--precision", default="auto", help="auto (bf16 on CUDA), bf16 or fp32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="lines per group (smoke tests)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke tests)")
    args = parser.parse_args(argv)
    log = lambda message: print(message, flush=True)  # noqa: E731
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True

    initial = load_recognizer(args.init) if args.init else None
    config = initial.network.config if initial else CRNNConfig.from_json(
        {**CRNNConfig().to_json(), **DEFAULT_ARCH, **args.arch})
    started = time.time()
    # A new model reads as the pack's lines were normalized, plus the width step (which works on
    # normalized lines); a fine-tuned one keeps its own steps, which the pack must match.
    groups, steps = read_pack_adding(args.pack, config.height, add=["width"],
                                     steps=list(initial.steps) if initial else None)
    groups = {name: cache.head(args.limit) for name, cache in groups.items()}
    train = {g.split("/")[0]: c for g, c in groups.items() if g.endswith("/train")}
    dev = {g.split("/")[0]: c for g, c in groups.items() if g.endswith("/dev")}
    texts = {name: [r.text or "" for r in cache.records] for name, cache in train.items()}
    if initial is not None:
        recognizer = initial
    else:
        alphabet = Alphabet.from_texts([t for group in texts.values() for t in group])
        config.num_classes = alphabet.num_classes
        recognizer = LineRecognizer(CRNN(config), alphabet, steps)
    log(f"{sum(len(c) for c in train.values())} train lines ({', '.join(train)}), "
        f"{sum(len(c) for c in dev.values())} dev lines, alphabet {len(recognizer.alphabet.chars)} "
        f"in {time.time() - started:.0f} s")
    sources = [LineSet(name, cache.images, texts[name]) for name, cache in train.items()]
    if args.render_only and not (args.synth and args.synth_cache):
        parser.error("--render-only needs --synth N and --synth-cache FILE")
    if args.synth:
        if args.synth_cache and args.synth_cache.exists():
            images, drawn = load_lines(args.synth_cache)
            log(f"{len(images)} synthetic lines from {args.synth_cache}")
        else:
            french = [t for name in FRENCH_SETS for t in texts.get(name, [])]
            pool = synthetic_texts(args.text, french, recognizer.alphabet, args.seed)
            images, drawn = render_synthetic(pool, args.fonts, args.synth, args.seed, config.height, steps,
                                             args.workers, log)
            if args.synth_cache:
                save_lines(args.synth_cache, images, drawn)
        if args.render_only:
            return
        start, end, until = (float(x) for x in args.synth_share.split(","))
        real = sum(len(s.images) for s in sources)
        sources.append(LineSet("synthetic", images, drawn, synth_share_weight(start, end, until, len(images), real)))
    from scriptio.data.augment_batch import BatchAugmentParams

    task = CtcLineTask(recognizer, sources, {n: (c.images, [r.text or "" for r in c.records]) for n, c in dev.items()},
                       device=args.device, batch_columns=args.batch_columns, max_batch=args.max_batch,
                       augment=BatchAugmentParams(probability=args.augment) if args.augment > 0 else None,
                       seed=args.seed)
    if args.device.startswith("cuda"):
        recognizer.network.to(memory_format=torch.channels_last)
    engine_config = EngineConfig(lr=args.lr, weight_decay=0.01, warmup_steps=args.warmup, minutes=args.minutes,
                                 max_steps=args.max_steps, ema_decay=args.ema, eval_every_minutes=args.eval_minutes,
                                 seed=args.seed, device=args.device, precision=args.precision)
    parameters = sum(p.numel() for p in recognizer.network.parameters())
    metadata = {"training": {"recipe": "scriptio.train.recognizer_recipe", "argv": argv or [],
                             "sources": [{"name": s.name, "lines": len(s.images)} for s in sources],
                             "synthetic_share": args.synth_share if args.synth else None,
                             "parameters": parameters, "skipped_narrow": task.skipped_narrow}}
    log(f"network: {parameters / 1e6:.2f} M parameters; {task.skipped_narrow} lines too narrow for their text")
    engine = Engine(task, engine_config, args.out, metadata, log=log)
    state = engine.fit(resume=args.resume)
    log(json.dumps({"best_score": state.best_score, "best_step": state.best_step, "steps": state.step,
                    "minutes": round(state.elapsed / 60, 2), "skipped_nonfinite": state.skipped_nonfinite}))


if __name__ == "__main__":
    main()
