"""A line-recognition training run from dataset specs: what `scriptio train` does.

Loads and normalizes the lines once (with the model's own preprocessing), builds or loads the
recognizer, and hands a CTC task to the engine. Epochs are passes over the (weighted) training
lines; the model is evaluated once per epoch.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from scriptio.data.sources import read_records
from scriptio.errors import DataError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.models.ctc import CtcRecognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.mdlstm_net import MDLSTMConfig, MDLSTMNet
from scriptio.text.codec import Alphabet
from scriptio.train.ctc_task import CtcLineTask, LineSet
from scriptio.train.distributed import Distributed, from_env
from scriptio.train.engine import Engine, EngineConfig, EngineState
from scriptio.train.finetune import extend_alphabet, fine_tuned_provenance
from scriptio.train.setup import load_cache
from scriptio.types import LineRecord

# Pixel columns per line of --batch-size: batches of long lines hold fewer lines.
COLUMNS_PER_LINE = 1200


@dataclass
class LineTraining:
    data: list[str]
    out: Path
    val: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    init: str | None = None
    arch: str = "crnn"                 # crnn or mdlstm
    height: int = 48
    hidden: int | None = None          # crnn: LSTM units per direction (192); mdlstm: last stage's (32)
    layers: int = 3
    dropout: float = 0.2
    batch_independent: bool = False
    end_margin: int = 16
    width_normalization: bool = False
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup: int = 300
    epochs: int = 50
    minutes: float | None = None
    batch_size: int = 16
    patience: int = 8
    curriculum: int = 0
    augment: bool = True
    seed: int = 0
    resume: bool = False
    keep_evaluations: bool = False
    ema: float = 0.999
    device: str = "cpu"
    freeze_norm: bool = False


def records_by_dataset(specs: list[str]) -> dict[str, list[LineRecord]]:
    grouped: dict[str, list[LineRecord]] = {}
    for spec in specs:
        for record in read_records(spec):
            grouped.setdefault(record.dataset or spec, []).append(record)
    return grouped


def new_recognizer(texts: list[str], config: CRNNConfig | MDLSTMConfig, steps=DEFAULT_STEPS) -> CtcRecognizer:
    alphabet = Alphabet.from_texts(texts)
    config.num_classes = alphabet.num_classes
    network = MDLSTMNet(config) if isinstance(config, MDLSTMConfig) else CRNN(config)
    return CtcRecognizer(network, alphabet, steps)


def network_config_of(plan: "LineTraining") -> CRNNConfig | MDLSTMConfig:
    """The new network's shape from the plan: MDLSTM stages widen by stage as in a2ia's design
    (--hidden gives the last stage's units per direction)."""
    if plan.arch == "mdlstm":
        last = plan.hidden or MDLSTMConfig.hidden[-1]
        hidden = tuple(max(2, last // 2 ** (2 - i)) for i in range(3))
        return MDLSTMConfig(height=plan.height, hidden=hidden, features=(4 * hidden[0], 4 * hidden[1]),
                            dropout=plan.dropout)
    return CRNNConfig(height=plan.height, hidden=plan.hidden or 192, layers=plan.layers, dropout=plan.dropout,
                      batch_independent=plan.batch_independent,
                      end_margin=plan.end_margin if plan.batch_independent else 0)


def fine_tuning_start(init: str, texts: list[str], batch_independent: bool, end_margin: int,
                      width_normalization: bool, log=print) -> CtcRecognizer:
    """The model to fine-tune: its own shape and preprocessing, switched to batch-independent
    reading or given the width step when asked, with output classes for the data's new characters."""
    from scriptio.models.recognizer import load_recognizer

    recognizer = load_recognizer(init)
    recognizer.metadata = fine_tuned_provenance(init, recognizer.metadata)
    if batch_independent:
        recognizer.network.config.batch_independent, recognizer.network.config.end_margin = True, end_margin
    if width_normalization and "width" not in recognizer.steps:
        recognizer.steps = (*recognizer.steps, "width")
    added = extend_alphabet(recognizer, texts)
    if added:
        log(f"{len(added)} characters new to {init} get output classes: {''.join(added)}")
    return recognizer


def run_line_training(plan: LineTraining, log=print) -> EngineState:
    """Train as planned; under torchrun, as one of its processes (`train.distributed`)."""
    group = from_env(plan.device)
    try:
        return _run_line_training(replace(plan, device=group.device), log if group.main else _silent, group)
    finally:
        group.close()


def _run_line_training(plan: LineTraining, log, group: Distributed) -> EngineState:
    sets = [(spec, [r for group in records_by_dataset([spec]).values() for r in group]) for spec in plan.data]
    texts = [r.text or "" for _, records in sets for r in records]
    if not any(texts):
        raise DataError("the training data has no transcriptions (.gt.txt files or manifest text)")
    if plan.init is not None:
        recognizer = fine_tuning_start(plan.init, texts, plan.batch_independent, plan.end_margin,
                                       plan.width_normalization, log)
    else:
        recognizer = new_recognizer(texts, network_config_of(plan), (*DEFAULT_STEPS, "width")
                                    if plan.width_normalization else DEFAULT_STEPS)
    sources = []
    for (spec, records), weight in zip(sets, plan.weights):
        cache = load_cache(records, recognizer.height, recognizer.steps, spec)
        sources.append(LineSet(spec, cache.images, [r.text or "" for r in cache.records], weight))
    dev = {}
    for name, records in records_by_dataset(plan.val).items():
        cache = load_cache(records, recognizer.height, recognizer.steps, name)
        dev[name] = (cache.images, [r.text or "" for r in cache.records])
    task = CtcLineTask(recognizer, sources, dev, device=plan.device, batch_columns=plan.batch_size * COLUMNS_PER_LINE,
                       max_batch=plan.batch_size, augment=None if not plan.augment else _augment(), seed=plan.seed,
                       half_weights=False, curriculum=plan.curriculum / max(plan.epochs, 1))
    steps_per_epoch = task.steps_per_pass()
    engine_config = EngineConfig(lr=plan.lr, optimizer=plan.optimizer, weight_decay=plan.weight_decay,
                                 schedule=plan.schedule, warmup_steps=plan.warmup, minutes=plan.minutes,
                                 max_steps=plan.epochs * steps_per_epoch, eval_every_steps=steps_per_epoch,
                                 patience=plan.patience, seed=plan.seed, device=plan.device, ema_decay=plan.ema,
                                 freeze_norm=plan.freeze_norm, keep_evaluations=plan.keep_evaluations,
                                 log_every_steps=max(1, min(200, steps_per_epoch)))
    metadata = {"training": {"sources": [{"name": s.name, "lines": len(s.images), "weight": s.weight_at(0)}
                                         for s in sources],
                             "command": asdict(plan) | {"out": str(plan.out)}, "padded_narrow": task.padded_narrow,
                             "skipped_narrow": task.skipped_narrow}}
    engine = Engine(task, engine_config, plan.out, metadata, log=log, distributed=group)
    return engine.fit(resume=plan.resume)


def _silent(message: str) -> None:
    pass


def _augment():
    from scriptio.data.augment_batch import BatchAugmentParams

    return BatchAugmentParams()
