"""Build the pieces of a training run from dataset specs: caches, alphabet, network."""
from __future__ import annotations

from collections.abc import Sequence

from scriptio.data.dataset import LineCache
from scriptio.data.sources import read_records
from scriptio.image.normalize import DEFAULT_STEPS, extract_line
from scriptio.models.recognizer import LineRecognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.text.codec import Alphabet
from scriptio.types import LineRecord


def load_cache(records: Sequence[LineRecord], height: int, steps: Sequence[str] = DEFAULT_STEPS,
               label: str = "") -> LineCache:
    from scriptio.train.loading import LoadingBar

    with LoadingBar(len(records), f"loading {label}") as bar:
        return LineCache(records, lambda image, polygon, baseline: extract_line(
            image, polygon, baseline, height=height, steps=steps), progress=bar.advance)


def records_by_dataset(specs: Sequence[str]) -> dict[str, list[LineRecord]]:
    grouped: dict[str, list[LineRecord]] = {}
    for spec in specs:
        for record in read_records(spec):
            grouped.setdefault(record.dataset or spec, []).append(record)
    return grouped


def new_crnn_recognizer(texts: Sequence[str], config: CRNNConfig, steps: Sequence[str] = DEFAULT_STEPS,
                        min_count: int = 1) -> LineRecognizer:
    alphabet = Alphabet.from_texts(texts, min_count=min_count)
    config.num_classes = alphabet.num_classes
    return LineRecognizer(CRNN(config), alphabet, steps)
