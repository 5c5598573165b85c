"""Page layout as a training task for `train.engine`: archive-like crops in, per-pixel maps out.

Each batch is a set of random crops of annotated pages, warped and cluttered by
`data.page_augment` (CPU threads prepare the next batch while the network trains); the targets
are drawn from the page geometry through the same warp (`layout.targets`). The loss is binary
cross-entropy per map plus a Dice term on the thin maps (baselines, cores) so that they are not
drowned by the background.
The dev figure is the detection F1 of the lines that the post-processing finds on whole dev
pages, the number the segmenter is judged by.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scriptio.data.page_augment import PageAugmentParams, augment_page_crop, crop_transform
from scriptio.data.page_sets import AnnotatedPage
from scriptio.layout.targets import TARGETS, rasterize
from scriptio.models.layout_model import WORK_SIDE, LayoutModel

# Loss weight of each map (TARGETS order) and whether it gets a Dice term.
MAP_WEIGHTS = (1.0, 1.0, 0.5, 0.5)
DICE_MAPS = (0, 1)
LINE_MAPS = (0, 1, 2)      # maps that ignore_untranscribed silences inside untranscribed text blocks


def dice_loss(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    probabilities = torch.sigmoid(logits) * weights
    targets = targets * weights
    overlap = (probabilities * targets).sum(dim=(1, 2))
    return (1 - (2 * overlap + 1) / (probabilities.sum(dim=(1, 2)) + targets.sum(dim=(1, 2)) + 1)).mean()


class LayoutTask:
    def __init__(self, model: LayoutModel, pages: Sequence[AnnotatedPage], dev: Sequence[AnnotatedPage],
                 device: str = "cpu", crop: int = 512, batch_size: int = 8, threads: int = 1,
                 augment: PageAugmentParams | None = PageAugmentParams(), seed: int = 0,
                 evaluate_pages: Callable[[LayoutModel, Sequence[AnnotatedPage]], dict] | None = None,
                 ignore_untranscribed: bool = False, log=print) -> None:
        if not pages:
            from scriptio.errors import DataError

            raise DataError("no annotated pages to train the layout model on")
        self.model = model
        self.network = model.network
        self.device = torch.device(device)
        self.crop, self.batch_size = crop, batch_size
        self.augment = augment or PageAugmentParams(**{k: 0 for k in PageAugmentParams.__dataclass_fields__
                                                       if k not in ("scale", "rotate", "perspective")},
                                                    rotate=0.0, perspective=0.0, scale=(1.0, 1.0))
        self.pages = list(pages)
        self.images = [_load(page.image) for page in self.pages]
        self.dev = list(dev)
        self.evaluate_pages = evaluate_pages
        # Writing inside a text block none of whose lines was transcribed (poilus' registration
        # notes): by default it is taught as "not a line", as the references count it; with
        # `ignore_untranscribed` it carries no lesson either way.
        self.ignore_untranscribed = ignore_untranscribed
        self.rng = np.random.default_rng(seed)
        self.pool = ThreadPoolExecutor(max(1, threads))
        self.pending: deque = deque()
        log(f"layout task: {len(self.pages)} training pages, {len(self.dev)} dev pages")

    def _example(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        index = int(rng.integers(len(self.pages)))
        page, gray = self.pages[index], self.images[index]
        other = self.images[int(rng.integers(len(self.images)))]
        height, width = gray.shape   # the annotation's coordinates are the image's pixels
        matrix = crop_transform(width, height, WORK_SIDE / max(height, width), self.crop, rng, self.augment)
        image = augment_page_crop(gray, matrix, self.crop, rng, self.augment, other)
        half = self.crop // self.network.stride
        to_maps = np.diag([1 / self.network.stride, 1 / self.network.stride, 1.0]) @ matrix
        maps, ignore = rasterize(page.lines, page.regions, (half, half), to_maps, baseline_width=2.0)
        return image, maps, ignore

    def _batch(self, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        seeds = np.random.default_rng(seed).integers(0, 2**63 - 1, self.batch_size)
        images, maps, ignores = zip(*(self._example(int(s)) for s in seeds))
        images = 1.0 - torch.from_numpy(np.stack(images)).float().div_(255.0)
        return images[:, None], torch.from_numpy(np.stack(maps)).float(), torch.from_numpy(np.stack(ignores)).float()

    def next_batch(self, generator: torch.Generator, progress: float) -> dict:
        while len(self.pending) < 2:
            self.pending.append(self.pool.submit(self._batch, int(self.rng.integers(0, 2**63 - 1))))
        images, maps, ignore = self.pending.popleft().result()
        return {"images": images.to(self.device).contiguous(memory_format=torch.channels_last),
                "maps": maps.to(self.device), "ignore": ignore.to(self.device)}

    def items(self, batch: dict) -> int:
        return int(batch["images"].shape[0])

    def loss(self, network: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        logits = network(batch["images"]).float()
        maps = batch["maps"]
        keep = 1.0 - batch["ignore"] if self.ignore_untranscribed else torch.ones_like(batch["ignore"])
        total = logits.new_zeros(())
        stats = {}
        for index, name in enumerate(TARGETS):
            weights = keep if index in LINE_MAPS else torch.ones_like(keep)
            bce = (F.binary_cross_entropy_with_logits(logits[:, index], maps[:, index], reduction="none")
                   * weights).sum() / weights.sum().clamp(min=1)
            term = bce + (dice_loss(logits[:, index], maps[:, index], weights) if index in DICE_MAPS else 0.0)
            total = total + MAP_WEIGHTS[index] * term
            stats[name] = float(term.detach())
        return total, stats

    def watch(self, stats: dict[str, float], step: int) -> float:
        return 1.0

    def evaluate(self, network: nn.Module) -> dict:
        if not self.dev or self.evaluate_pages is None:
            return {"score": None}
        scored = LayoutModel(network, self.model.targets, self.model.work_side, self.model.metadata)
        figures = self.evaluate_pages(scored, self.dev)
        return {**figures, "score": 1.0 - figures["f1"]}

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        LayoutModel(network, self.model.targets, self.model.work_side, self.model.metadata).save(path, metadata)


def _load(path: Path) -> np.ndarray:
    from scriptio.image.io import load_gray

    return load_gray(path)
