"""A layout-model training run: what `scriptio train --task layout` and `scriptio recipe layout` do.

Pages come from pages.jsonl manifests (`path.jsonl:train` picks a split) or PAGE/ALTO files and
folders of them; the recipe takes every set in ../shared/data/htr that has pages and carves dev
pages out of each training split by document, so the model is chosen without seeing val pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scriptio.data.page_sets import AnnotatedPage, page_from_xml, read_pages_manifest
from scriptio.data.splits import DEV_FRACTION, dev_documents, document_of
from scriptio.errors import InputError
from scriptio.layout.targets import TARGETS
from scriptio.models.layout_model import LayoutModel
from scriptio.nets.unet import UNet, UNetConfig
from scriptio.train.engine import Engine, EngineConfig, EngineState


@dataclass
class LayoutTraining:
    pages: list[AnnotatedPage]
    dev: list[AnnotatedPage]
    out: Path
    minutes: float | None = 60.0
    max_steps: int | None = None
    lr: float = 2e-3
    batch_size: int = 8
    crop: int = 512
    device: str = "cpu"
    seed: int = 0
    resume: bool = False
    init: Path | None = None
    eval_minutes: float = 10.0
    channels: tuple[int, ...] = field(default_factory=lambda: UNetConfig().channels)
    loader_threads: int = 1
    ignore_untranscribed: bool = False


def read_page_specs(specs: list[str]) -> list[AnnotatedPage]:
    """Pages from manifests (`pages.jsonl[:split]`), PAGE/ALTO files, or folders of either."""
    from scriptio.data.sources import split_spec

    pages: list[AnnotatedPage] = []
    for spec in specs:
        path, split = split_spec(spec)
        if not path.exists():
            raise InputError(path, "no such file or folder", "give a pages.jsonl, a PAGE/ALTO file or a folder")
        if path.is_dir():
            manifest = path / "pages.jsonl"
            if manifest.exists():
                pages += read_pages_manifest(manifest, split)
            else:
                pages += [page_from_xml(p) for p in sorted(path.glob("*.xml"))]
        elif path.suffix.lower() == ".jsonl":
            pages += read_pages_manifest(path, split)
        else:
            pages.append(page_from_xml(path))
    return pages


def shared_pages(shared: Path, log=print) -> tuple[list[AnnotatedPage], list[AnnotatedPage]]:
    """(train, dev) pages of every set under shared/data/htr with pages: dev carved out of each
    training split by document; val pages are left alone."""
    train, dev = [], []
    for manifest in sorted((shared / "data" / "htr").glob("*/pages.jsonl")):
        pages = read_pages_manifest(manifest, "train")
        held = dev_documents([document_of(p.dataset, p.id) for p in pages], DEV_FRACTION)
        train += [p for p in pages if document_of(p.dataset, p.id) not in held]
        dev += [p for p in pages if document_of(p.dataset, p.id) in held]
        log(f"{manifest.parent.name}: {len(pages)} training pages, {sum(document_of(p.dataset, p.id) in held for p in pages)} "
            "of them for dev")
    return train, dev


def run_layout_training(plan: LayoutTraining, log=print) -> EngineState:
    from scriptio.layout.evaluate import evaluate_segmenter
    from scriptio.layout.learned import LearnedSegmenter
    from scriptio.models.layout_model import load_layout_model
    from scriptio.train.layout_task import LayoutTask

    if plan.init is not None:
        model = load_layout_model(plan.init)
    else:
        model = LayoutModel(UNet(UNetConfig(channels=tuple(plan.channels), outputs=len(TARGETS))), TARGETS)
    task = LayoutTask(model, plan.pages, plan.dev, device=plan.device, crop=plan.crop, batch_size=plan.batch_size,
                      threads=plan.loader_threads, seed=plan.seed, log=log,
                      ignore_untranscribed=plan.ignore_untranscribed,
                      evaluate_pages=lambda scored, pages: evaluate_segmenter(LearnedSegmenter(scored), pages))
    config = EngineConfig(lr=plan.lr, optimizer="adamw", weight_decay=1e-4, warmup_steps=200, minutes=plan.minutes,
                          max_steps=plan.max_steps, eval_every_minutes=plan.eval_minutes, seed=plan.seed,
                          device=plan.device, ema_decay=0.998, log_every_steps=50, keep_evaluations=True)
    metadata = {"training": {"task": "layout", "pages": len(plan.pages), "dev_pages": len(plan.dev),
                             "sets": sorted({p.dataset for p in plan.pages}), "crop": plan.crop,
                             "batch_size": plan.batch_size, "ignore_untranscribed": plan.ignore_untranscribed}}
    if plan.init is not None:
        metadata["fine_tuned_from"] = dict(model.metadata, model=str(plan.init))
    return Engine(task, config, plan.out, metadata, log=log).fit(resume=plan.resume)
