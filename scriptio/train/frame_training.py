"""Training recognizers that read feature frames with a network: `scriptio train --arch
hybrid-mlp|hybrid-deep-mlp|hybrid-blstm|ctc-blstm`.

Hybrids learn the HMM state of every frame, as a trained GMM-HMM (`--hmm`) aligns the
transcriptions to the frames (Viterbi forced alignment); their posteriors divided by the states'
priors then replace the Gaussian mixtures in that HMM's decoder. The CTC BLSTM needs no alignment.
Either reads handcrafted or pixel frames of the HMM's window and shift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from scriptio.errors import DataError, ModelError
from scriptio.features.frames import FrameSpec, frames
from scriptio.hmm.chain import viterbi
from scriptio.models.frame_kinds import FrameCtcRecognizer, HybridRecognizer
from scriptio.models.hmm_kind import CLASSIC_HEIGHT, CLASSIC_STEPS, HmmRecognizer
from scriptio.nets.frame_nets import FrameNetConfig, build_frame_net
from scriptio.text.codec import Alphabet
from scriptio.text.metrics import ErrorRate
from scriptio.train.engine import Engine, EngineConfig, EngineState
from scriptio.train.frame_tasks import FrameClassTask, FrameCtcTask
from scriptio.train.hmm_training import standardization
from scriptio.train.lines import records_by_dataset
from scriptio.train.setup import load_cache

ARCHS = {
    "hybrid-mlp": dict(kind="mlp", layers=1, hidden=1024, context=4),
    "hybrid-deep-mlp": dict(kind="mlp", layers=4, hidden=512, context=4),
    "hybrid-blstm": dict(kind="blstm", layers=2, hidden=192, stack=3),
    "ctc-blstm": dict(kind="blstm", layers=3, hidden=192, stack=3, per_frame=False),
}
MIN_PRIOR = 1e-5


@dataclass
class FrameTraining:
    data: list[str]
    out: Path
    arch: str = "hybrid-mlp"
    val: list[str] = field(default_factory=list)
    hmm: Path | None = None              # hybrids: the GMM-HMM whose alignments and decoder they use
    features: str = "handcrafted"
    frame_width: int = 9
    frame_shift: int = 3
    height: int = CLASSIC_HEIGHT
    epochs: int = 20
    minutes: float | None = None
    lr: float = 1e-3
    batch_size: int = 16
    overrides: dict = field(default_factory=dict)   # FrameNetConfig fields
    seed: int = 0
    resume: bool = False
    limit: int | None = None


def _lines(specs: list[str], height: int, steps, limit: int | None = None):
    records = [r for group in records_by_dataset(specs).values() for r in group if r.text][:limit]
    cache = load_cache(records, height, steps, "lines") if records else None
    return (cache.images, [r.text or "" for r in cache.records]) if cache else ([], [])


def align(hmm: HmmRecognizer, images, texts) -> tuple[list[int], list[np.ndarray]]:
    """Indices of the lines a forced alignment could place, and their global state per frame."""
    kept, labels = [], []
    for index, (image, text) in enumerate(zip(images, texts)):
        chain = hmm.hmm.chain(text)
        if not len(chain):
            continue
        emissions, _, _ = hmm.hmm.emissions(hmm.hmm.standardize(frames(image, hmm.spec)), chain)
        path, _ = viterbi(emissions, hmm.hmm.transitions[chain])
        if path is not None:
            kept.append(index)
            labels.append(chain[path])
    return kept, labels


def run_frame_training(plan: FrameTraining, log=print) -> EngineState:
    if plan.arch not in ARCHS:
        raise DataError(f"unknown frame architecture {plan.arch!r} (choose from {', '.join(ARCHS)})")
    torch.manual_seed(plan.seed)
    hybrid = plan.arch.startswith("hybrid")
    aligner = None
    steps, height, spec = CLASSIC_STEPS, plan.height, FrameSpec(plan.frame_width, plan.frame_shift, plan.features)
    if hybrid:
        from scriptio.models.recognizer import load_recognizer

        if plan.hmm is None:
            raise DataError(f"--arch {plan.arch} learns the states of a GMM-HMM: give it with --hmm MODEL")
        aligner = load_recognizer(plan.hmm)
        if not isinstance(aligner, HmmRecognizer):
            raise ModelError(plan.hmm, "is not a GMM-HMM model", "train one with scriptio train --arch hmm")
        steps, height = aligner.steps, aligner.height
        spec = FrameSpec(aligner.spec.width, aligner.spec.shift, plan.features)
    images, texts = _lines(plan.data, height, steps, plan.limit)
    if not images:
        raise DataError("the training data has no transcriptions (.gt.txt files or manifest text)")
    val_images, val_texts = _lines(plan.val, height, steps)
    inputs = [frames(image, spec) for image in images]
    mean, scale = standardization(inputs)
    standardized = [((f - mean) / scale).astype(np.float32) for f in inputs]
    standardized_val = [((frames(image, spec) - mean) / scale).astype(np.float32) for image in val_images]
    config = FrameNetConfig(**{**ARCHS[plan.arch], "inputs": inputs[0].shape[1], **plan.overrides})
    metadata = {"training": {"arch": plan.arch, "data": plan.data, "lines": len(images), "features": plan.features}}
    if hybrid:
        kept, labels = align(aligner, images, texts)
        log(f"forced alignment placed {len(kept)} of {len(images)} lines")
        counts = np.bincount(np.concatenate(labels), minlength=aligner.hmm.global_states).astype(np.float64)
        log_priors = np.log(np.maximum(counts / counts.sum(), MIN_PRIOR))
        config.classes = aligner.hmm.global_states
        network = build_frame_net(config)
        dev_kept, dev_labels = align(aligner, val_images, val_texts) if val_images else ([], [])
        dev = ([standardized_val[i] for i in dev_kept], dev_labels) if dev_kept else None

        def save(net, path: Path, extra: dict) -> None:
            HybridRecognizer(aligner.hmm, aligner.spec, net, log_priors, spec, mean, scale, height, steps,
                             metadata).save(path, extra)

        task = FrameClassTask(network, [standardized[i] for i in kept], labels, dev, save, plan.batch_size, plan.seed)
        lines = len(kept)
    else:
        alphabet = Alphabet.from_texts(texts)
        config.classes = alphabet.num_classes
        network = build_frame_net(config)

        def save(net, path: Path, extra: dict) -> None:
            FrameCtcRecognizer(net, alphabet, spec, mean, scale, height, steps, metadata).save(path, extra)

        def dev(net) -> dict:
            if not val_images:
                return {"score": None}
            reader = FrameCtcRecognizer(net, alphabet, spec, mean, scale, height, steps)
            rate = ErrorRate()
            for text, result in zip(val_texts, reader.recognize(val_images)):
                rate.add(text, result.text)
            return {"cer": round(rate.cer, 4), "score": rate.cer}

        task = FrameCtcTask(network, standardized, [alphabet.encode(t) for t in texts], dev, save,
                            plan.batch_size, plan.seed)
        lines = len(images)
    steps_per_epoch = max(1, math.ceil(lines / plan.batch_size))
    engine = EngineConfig(lr=plan.lr, optimizer="adam", warmup_steps=min(300, steps_per_epoch), minutes=plan.minutes,
                          max_steps=plan.epochs * steps_per_epoch, eval_every_steps=steps_per_epoch, seed=plan.seed,
                          ema_decay=0.999, log_every_steps=max(1, min(200, steps_per_epoch)))
    metadata["training"]["parameters"] = sum(p.numel() for p in network.parameters())
    return Engine(task, engine, plan.out, metadata, log=log).fit(resume=plan.resume)
