"""Train a line recognizer from a line pack, with synthetic pretraining faded into real lines.

    scriptio recipe recognizer --pack work/lines.tar --out runs/r1 --minutes 60 \\
        [--synth 100000 --fonts DIR --text FILE ...] [--device cuda] [--arch JSON]

Reads `<set>/train` groups to train and `<set>/dev` groups to choose (the pack's `val` groups are
never looked at: report val once, for the model you keep, with benchmarks/recognition.py).
Synthetic lines are rendered from handwriting fonts in parallel processes before training and
normalized as real ones; their share of each batch fades from `--synth-share` START to END over
the first UNTIL of the run, so one run pretrains on fonts and ends on real hands.
Writes OUT/best.safetensors (best dev CER of the averaged weights, 16-bit), OUT/last.safetensors,
OUT/checkpoint.pt (resume with --resume) and OUT/history.json.
"""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from scriptio.data.augment_batch import BatchAugmentParams
from scriptio.data.linepack import read_pack_adding
from scriptio.data.shared_sets import FRENCH_SETS
from scriptio.errors import DataError
from scriptio.image.normalize import extract_line
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.text.codec import Alphabet
from scriptio.train.ctc_task import CtcLineTask, LineSet
from scriptio.train.engine import Engine, EngineConfig, EngineState

# 4x horizontal downsampling (about 3-4 frames per character at 48 px), a batch-independent BLSTM that
# reads each line as if alone (see nets.crnn).
DEFAULT_ARCH = {"pools": [[2, 2], [2, 2], [2, 1], [2, 1]], "batch_independent": True, "end_margin": 16,
                "dropout": 0.25}


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


@dataclass
class RecognizerRecipe:
    pack: Path
    out: Path
    minutes: float = 60.0
    device: str = "cpu"
    arch: dict = field(default_factory=dict)
    init: Path | None = None
    resume: bool = False
    lr: float = 1.5e-3
    warmup: int = 400
    batch_columns: int = 160_000
    max_batch: int = 256
    ema: float = 0.999
    eval_minutes: float = 1.0
    augment: float = 0.85
    synth: int = 0
    synth_share: tuple[float, float, float] = (0.5, 0.05, 0.5)
    synth_cache: Path | None = None
    render_only: bool = False
    fonts: Path | None = None
    texts: list[Path] = field(default_factory=list)
    workers: int = max(1, (os.cpu_count() or 2) - 1)
    precision: str = "auto"
    seed: int = 0
    limit: int | None = None
    max_steps: int | None = None


def run_recipe(recipe: RecognizerRecipe, log=print) -> EngineState | None:
    """Train as `recipe` says (None when it only renders synthetic lines)."""
    if recipe.render_only and not (recipe.synth and recipe.synth_cache):
        raise DataError("rendering only needs a count of synthetic lines and a cache file to keep them in")
    if recipe.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    initial = load_recognizer(recipe.init) if recipe.init else None
    config = initial.network.config if initial else CRNNConfig.from_json(
        {**CRNNConfig().to_json(), **DEFAULT_ARCH, **recipe.arch})
    started = time.time()
    # A new model reads as the pack's lines were normalized, plus the width step (which works on
    # normalized lines); a fine-tuned one keeps its own steps, which the pack must match.
    groups, steps = read_pack_adding(recipe.pack, config.height, add=["width"],
                                     steps=list(initial.steps) if initial else None)
    groups = {name: cache.head(recipe.limit) for name, cache in groups.items()}
    train = {g.split("/")[0]: c for g, c in groups.items() if g.endswith("/train")}
    dev = {g.split("/")[0]: c for g, c in groups.items() if g.endswith("/dev")}
    texts = {name: [r.text or "" for r in cache.records] for name, cache in train.items()}
    if initial is not None:
        recognizer = initial
    else:
        alphabet = Alphabet.from_texts([t for group in texts.values() for t in group])
        config.num_classes = alphabet.num_classes
        recognizer = CtcRecognizer(CRNN(config), alphabet, steps)
    log(f"{sum(len(c) for c in train.values())} train lines ({', '.join(train)}), "
        f"{sum(len(c) for c in dev.values())} dev lines, alphabet {len(recognizer.alphabet.chars)} "
        f"in {time.time() - started:.0f} s")
    sources = [LineSet(name, cache.images, texts[name]) for name, cache in train.items()]
    if recipe.synth:
        if recipe.synth_cache and recipe.synth_cache.exists():
            images, drawn = load_lines(recipe.synth_cache)
            log(f"{len(images)} synthetic lines from {recipe.synth_cache}")
        else:
            french = [t for name in FRENCH_SETS for t in texts.get(name, [])]
            pool = synthetic_texts(recipe.texts, french, recognizer.alphabet, recipe.seed)
            images, drawn = render_synthetic(pool, recipe.fonts, recipe.synth, recipe.seed, config.height, steps,
                                             recipe.workers, log)
            if recipe.synth_cache:
                save_lines(recipe.synth_cache, images, drawn)
        if recipe.render_only:
            return None
        start, end, until = recipe.synth_share
        real = sum(len(s.images) for s in sources)
        sources.append(LineSet("synthetic", images, drawn, synth_share_weight(start, end, until, len(images), real)))
    task = CtcLineTask(recognizer, sources, {n: (c.images, [r.text or "" for r in c.records]) for n, c in dev.items()},
                       device=recipe.device, batch_columns=recipe.batch_columns, max_batch=recipe.max_batch,
                       augment=BatchAugmentParams(probability=recipe.augment) if recipe.augment > 0 else None,
                       seed=recipe.seed)
    if recipe.device.startswith("cuda"):
        recognizer.network.to(memory_format=torch.channels_last)
    engine_config = EngineConfig(lr=recipe.lr, optimizer="adamw", weight_decay=0.01, warmup_steps=recipe.warmup,
                                 minutes=recipe.minutes, max_steps=recipe.max_steps, ema_decay=recipe.ema,
                                 eval_every_minutes=recipe.eval_minutes, seed=recipe.seed, device=recipe.device,
                                 precision=recipe.precision)
    parameters = sum(p.numel() for p in recognizer.network.parameters())
    metadata = {"training": {"recipe": "scriptio recipe recognizer",
                             "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(recipe).items()},
                             "sources": [{"name": s.name, "lines": len(s.images)} for s in sources],
                             "parameters": parameters, "padded_narrow": task.padded_narrow,
                             "skipped_narrow": task.skipped_narrow}}
    log(f"network: {parameters / 1e6:.2f} M parameters; {task.skipped_narrow} lines too narrow for their text")
    state = Engine(task, engine_config, recipe.out, metadata, log=log).fit(resume=recipe.resume)
    log(json.dumps({"best_score": state.best_score, "best_step": state.best_step, "steps": state.step,
                    "minutes": round(state.elapsed / 60, 2), "skipped_nonfinite": state.skipped_nonfinite}))
    return state
