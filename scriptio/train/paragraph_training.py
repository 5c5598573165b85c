"""`scriptio train --arch attention`: the paragraph reader, started from a trained line recognizer.

Blocks come from annotated pages (`pages.jsonl` of ../shared's format: regions and their lines);
their train split, without the documents the line recognizer's dev split holds out, trains; those
dev documents choose the model (read as reading does: scaled by the measured line pitch).
Synthetic paragraphs are composed from the line images of a `lines.jsonl` beside each pages file
(`paragraph_augment.py`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from rich.progress import track

from scriptio.data.blocks import DEFAULT_PITCH, Block, page_blocks
from scriptio.data.manifest import read_manifest
from scriptio.data.splits import split_dev
from scriptio.errors import DataError, ModelError
from scriptio.image.io import load_gray
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.paragraph_kind import ParagraphRecognizer
from scriptio.nets.crnn import CRNN
from scriptio.nets.paragraph import ParagraphConfig, ParagraphNet
from scriptio.train.engine import Engine, EngineConfig, EngineState
from scriptio.train.paragraph_augment import with_blank_lines
from scriptio.train.paragraph_task import ParagraphTask


# stage -> the part of the line model kept frozen (nets.paragraph.ParagraphNet.freeze)
STAGES = {"attention": "reader", "decoder": "encoder", "joint": "none"}


@dataclass
class ParagraphTraining:
    pages: list[Path]
    out: Path
    init: str = "default"              # a line recognizer (CRNN) or a paragraph model to start from
    # 'attention': only the attention and the end decision learn (the line model frozen; each
    # block's feature map computed once: cheap); 'decoder': the BLSTM and output learn too, with CTC
    # on every line (convolutions frozen, windows still computed once); 'joint': everything.
    stage: str = "joint"
    synthetic_lines: int = 3000        # line images kept for composed paragraphs (0: none)
    respace: bool = True               # train on re-spaced copies of the blocks too
    minutes: float | None = None
    max_steps: int = 20000
    lr: float = 3e-4
    blocks_per_step: int = 2
    attention_weight: float = 1.0
    eval_minutes: float = 10.0
    seed: int = 0
    resume: bool = False
    device: str = "cpu"
    overrides: dict = field(default_factory=dict)   # ParagraphConfig fields


def start_network(init: str, overrides: dict) -> tuple[ParagraphNet, CtcRecognizer | ParagraphRecognizer]:
    from scriptio.models.recognizer import load_recognizer

    line_model = load_recognizer(init)
    if isinstance(line_model, ParagraphRecognizer):
        return line_model.network, line_model
    if not isinstance(line_model, CtcRecognizer) or not isinstance(line_model.network, CRNN):
        raise ModelError(init, "is not a CNN-BLSTM line recognizer", "give --init a crnn model (e.g. default)")
    config = ParagraphConfig(crnn=line_model.network.config.to_json(), line_steps=tuple(line_model.steps), **overrides)
    network = ParagraphNet(config)
    network.load_line_model(line_model.network)
    return network, line_model


def load_blocks(pages: list[Path], part: str, pitch: float, estimate: bool, log) -> list[Block]:
    blocks: list[Block] = []
    for path in pages:
        if not path.exists():
            raise DataError(f"{path}: no such pages file (give the pages.jsonl of an annotated set)")
        found = list(track(page_blocks(path, "train", part, pitch, estimate), description=f"{path.parent.name} {part}",
                           transient=True))
        log(f"{path.parent.name}: {len(found)} {part} blocks, {sum(len(b.texts) for b in found)} rows")
        blocks += found
    return blocks


def dev_blocks(pages: list[Path], pitch: float, log) -> list[Block]:
    """The dev blocks, read at their measured pitch, and a copy of each with blank lines opened
    between some rows: the few dev blocks hold fewer blank lines than the blocks a reader meets
    (copiste: 2 of 41 row gaps against 48 of 433 in val), and the choices made on dev must not
    stop a block at the first of them."""
    dev = load_blocks(pages, "dev", pitch, True, log)
    return [copy for index, block in enumerate(dev)
            for copy in (block, with_blank_lines(block, np.random.default_rng(index), pitch))]


def synthetic_sources(pages: list[Path], count: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """Train-split line images (dev documents left out) from the lines.jsonl beside each pages file."""
    records = []
    for path in pages:
        manifest = path.parent / "lines.jsonl"
        if manifest.exists():
            records += split_dev(read_manifest(manifest, "train"))[0]
    records = [r for r in records if r.text and r.text.strip()]
    rng = np.random.default_rng(seed)
    picks = rng.permutation(len(records))[:count]
    return [(load_gray(records[i].image_path), records[i].text.strip()) for i in picks]


def run_paragraph_training(plan: ParagraphTraining, log=print) -> EngineState:
    torch.manual_seed(plan.seed)
    if plan.stage not in STAGES:
        raise DataError(f"unknown stage {plan.stage!r} (choose from {', '.join(STAGES)})")
    network, line_model = start_network(plan.init, plan.overrides)
    network.freeze(STAGES[plan.stage])
    pitch = network.config.pitch if "pitch" in plan.overrides else DEFAULT_PITCH
    train = load_blocks(plan.pages, "train", pitch, False, log)
    dev = dev_blocks(plan.pages, pitch, log)
    if not train:
        raise DataError("the pages files hold no train blocks with transcribed lines")
    # Composed paragraphs teach the attention that every band of ink is a line and every block
    # ends at its last one (the annotated blocks say otherwise: headings, stamps, signatures):
    # an attention stage trained with them read the dev blocks and their blank-lined copies at
    # 27.2% CER, one without at 26.4%. Only the joint stage, where the encoder learns too, uses them.
    wanted = plan.synthetic_lines if plan.stage == "joint" else 0
    lines = synthetic_sources(plan.pages, wanted, plan.seed) if wanted else []
    metadata = {"training": {"arch": "attention", "pages": [str(p) for p in plan.pages], "blocks": len(train),
                             "fine_tuned_from": str(plan.init), "stage": plan.stage, "synthetic_lines": len(lines),
                             "parameters": sum(p.numel() for p in network.parameters())}}

    def save(net: ParagraphNet, path: Path, extra: dict) -> None:
        ParagraphRecognizer(net, line_model.alphabet, metadata).save(path, extra)

    task = ParagraphTask(network, line_model.alphabet, train, lines, dev, save, pitch,
                         plan.blocks_per_step, plan.attention_weight, plan.seed, respace=plan.respace)
    engine = EngineConfig(lr=plan.lr, optimizer="adamw", warmup_steps=200, minutes=plan.minutes,
                          max_steps=plan.max_steps, eval_every_minutes=plan.eval_minutes, seed=plan.seed,
                          ema_decay=0.998, freeze_norm=True, log_every_steps=50, device=plan.device)
    log(f"paragraph reader: {metadata['training']['parameters']:,} parameters, {len(train)} blocks, "
        f"{len(lines)} synthetic line sources, dev {len(dev)} blocks; "
        f"{math.ceil(sum(len(b.texts) for b in train) / plan.blocks_per_step)} steps hold as many rows as the blocks")
    return Engine(task, engine, plan.out, metadata, log=log).fit(resume=plan.resume)
