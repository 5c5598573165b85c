"""Training a GMM-HMM recognizer: what `scriptio train --arch hmm` does.

Lines are normalized the classic way (deskewed, deslanted, core band at a fixed height), cut
into frames, standardized; the character models start from a linear segmentation and are
re-estimated by embedded Baum-Welch, their mixtures doubled stage by stage. After every stage
the model is written (OUT/stage-K.safetensors, OUT/last.safetensors), scored on the `val` lines
when given (greedy character loop, no language model) and kept as OUT/best.safetensors when it
reads them best; `resume` continues after the last finished stage.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scriptio.errors import DataError, InputError, ModelError
from scriptio.features.frames import FrameSpec, frames
from scriptio.hmm.model import SPACE, CharacterHmm
from scriptio.hmm.train import Line, baum_welch_pass, linear_start, mixture_schedule, standardization
from scriptio.models.hmm_kind import CLASSIC_HEIGHT, CLASSIC_STEPS, HmmRecognizer
from scriptio.text.metrics import ErrorRate
from scriptio.train.engine import RESUME_FIX
from scriptio.train.lines import records_by_dataset
from scriptio.train.setup import load_cache

VARIANCE_FLOOR = 0.01      # in standardized units: no dimension may collapse below 1% of its spread


@dataclass
class HmmTraining:
    data: list[str]
    out: Path
    val: list[str] = field(default_factory=list)
    height: int = CLASSIC_HEIGHT
    features: str = "handcrafted"
    frame_width: int = 9
    frame_shift: int = 3
    states: int | None = None          # per character; None: from the data's frames per character
    mixtures: int = 16
    iterations: int = 4                # Baum-Welch passes per mixture stage
    limit: int | None = None           # training lines at most
    resume: bool = False


def frames_per_char(lines: list[np.ndarray], texts: list[str], spec: FrameSpec) -> float:
    counts = [spec.count(line.shape[1]) / max(len(text.replace(" ", "")), 1) for line, text in zip(lines, texts)]
    return float(np.median(counts)) if counts else 5.0


def read_val(model: HmmRecognizer, lines: list[np.ndarray], texts: list[str]) -> float:
    rate = ErrorRate()
    for text, result in zip(texts, model.recognize(lines)):
        rate.add(text, result.text)
    return rate.cer


def read_history(path: Path) -> list[dict]:
    """The finished stages of a run being resumed (OUT/history.json): a list of {"stage": 1, ...},
    {"stage": 2, ...}. A file that cannot be read as one is an InputError naming it and the fix,
    never a traceback."""
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputError(path, f"cannot resume: the stage history is truncated or corrupt ({error})",
                         RESUME_FIX) from None
    if not isinstance(history, list):
        raise InputError(path, "cannot resume: the stage history is not a list of stage records", RESUME_FIX)
    for index, entry in enumerate(history, start=1):
        if not isinstance(entry, dict) or entry.get("stage") != index or not _is_number_or_none(entry.get("val_cer")):
            raise InputError(path, f"cannot resume: entry {index} of the stage history is not a record of "
                             f"stage {index}", RESUME_FIX)
    return history


def _is_number_or_none(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def run_hmm_training(plan: HmmTraining, log=print) -> list[dict]:
    from scriptio.train.loading import LoadingBar

    spec = FrameSpec(plan.frame_width, plan.frame_shift, plan.features)
    records = [r for group in records_by_dataset(plan.data).values() for r in group if r.text][: plan.limit]
    if not records:
        raise DataError("the training data has no transcriptions (.gt.txt files or manifest text)")
    train = load_cache(records, plan.height, CLASSIC_STEPS, "training lines")
    texts = [r.text or "" for r in train.records]
    val_records = [r for group in records_by_dataset(plan.val).values() for r in group if r.text]
    val = load_cache(val_records, plan.height, CLASSIC_STEPS, "val lines") if val_records else None
    started = time.time()
    raw = [frames(image, spec) for image in train.images]
    chars = sorted({c for text in texts for c in text} - {SPACE})
    plan.out.mkdir(parents=True, exist_ok=True)
    state_path, history_path = plan.out / "checkpoint.safetensors", plan.out / "history.json"
    if plan.resume and state_path.exists():
        from scriptio.models.recognizer import load_recognizer

        history = read_history(history_path) if history_path.exists() else []
        try:
            model = load_recognizer(state_path)
        except ModelError as error:  # "PATH: problem (fix)": keep the problem, give the fix that fits here
            problem = str(error).removeprefix(f"{state_path}: ").split(" (")[0]
            raise InputError(state_path, f"cannot resume: the checkpoint cannot be read ({problem})",
                             RESUME_FIX) from None
        if not isinstance(model, HmmRecognizer):
            raise InputError(state_path, f"cannot resume: the checkpoint is not a GMM-HMM (kind {model.kind!r})",
                             RESUME_FIX)
        log(f"resumed after stage {len(history)} ({model.hmm.mixtures.components} components per state)")
    else:
        history = []
        states = plan.states or int(np.clip(round(0.6 * frames_per_char(train.images, texts, spec)), 3, 10))
        hmm = CharacterHmm.create(chars, states, raw[0].shape[1])
        hmm.feature_mean, hmm.feature_scale = standardization(raw)
        model = HmmRecognizer(hmm, spec, plan.height, CLASSIC_STEPS,
                              {"training": {"kind": "hmm", "lines": len(texts), "data": plan.data}})
    hmm = model.hmm
    lines = [Line(hmm.standardize(f), hmm.chain(t)) for f, t in zip(raw, texts)]
    floor = np.full(raw[0].shape[1], VARIANCE_FLOOR)
    log(f"{len(lines)} lines, {len(chars)} characters x {hmm.states} states, {spec.kind} frames "
        f"({raw[0].shape[1]} values), features in {time.time() - started:.0f} s")
    if not history:
        linear_start(hmm, lines, floor)
    best = min((h["val_cer"] for h in history if h.get("val_cer") is not None), default=np.inf)
    for stage, components in enumerate(mixture_schedule(plan.mixtures), start=1):
        if stage <= len(history):
            continue
        if components > hmm.mixtures.components:
            hmm.mixtures = hmm.mixtures.split(floor)
        stage_started = time.time()
        for iteration in range(plan.iterations):
            with LoadingBar(len(lines), f"stage {stage} ({components} components), pass {iteration + 1}") as bar:
                result = baum_welch_pass(hmm, lines, floor, bar.advance)
            log(f"stage {stage}, pass {iteration + 1}: log-likelihood {result.log_likelihood:.3f} per frame, "
                f"{result.aligned} lines aligned, {result.skipped} skipped")
        record = {"stage": stage, "components": components, "log_likelihood": round(result.log_likelihood, 4),
                  "minutes": round((time.time() - stage_started) / 60, 2), "skipped": result.skipped}
        if val is not None:
            record["val_cer"] = round(read_val(model, val.images, [r.text or "" for r in val.records]), 4)
        history.append(record)
        metadata = {"training": dict(model.metadata.get("training", {}), history=history)}
        model.save(plan.out / f"stage-{stage}.safetensors", metadata)
        model.save(plan.out / "last.safetensors", metadata)
        if record.get("val_cer", -1) < best or val is None:
            best = record.get("val_cer", best)
            model.save(plan.out / "best.safetensors", {**metadata, "val_cer": record.get("val_cer")})
        model.save(state_path, metadata)
        history_path.write_text(json.dumps(history, indent=1))
        log(f"stage {stage} done: " + json.dumps(record))
    return history
