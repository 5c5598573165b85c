"""The recognizer contract, the registry of recognizer kinds, and the loader that dispatches on it.

Every optical model (CTC network, HMM, hybrid, attention reader) is a *kind*: a class that reads
normalized line images and round-trips through a model file. The model file names its kind in
its metadata; `load_recognizer` looks the kind up here and lets the class rebuild itself, so
nothing outside a kind assumes CTC (or any network at all). Kinds register themselves by name
with `@register_kind("name")`; the built-in ones are imported on first use.
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from scriptio.errors import ModelError
from scriptio.image.normalize import extract_line, extract_line_mapped
from scriptio.models.store import read_model_file, resolve_model_path
from scriptio.types import LineResult, Point

# Kinds shipped with scriptio: name -> module that registers it when imported.
BUILTIN_KINDS = {"ctc": "scriptio.models.ctc", "hmm": "scriptio.models.hmm_kind",
                 "hybrid": "scriptio.models.frame_kinds", "ctc-frames": "scriptio.models.frame_kinds",
                 "paragraph": "scriptio.models.paragraph_kind"}
# Model files written before kinds existed are CTC networks.
LEGACY_KIND = "ctc"

_KINDS: dict[str, type] = {}


@runtime_checkable
class Recognizer(Protocol):
    """What reading needs from any recognizer kind."""

    kind: ClassVar[str]
    steps: tuple[str, ...]
    metadata: dict

    @property
    def height(self) -> int: ...

    def normalize_mapped(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                         baseline: Sequence[Point] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
        """The normalized line this kind reads, and (offset, scale) from its x to the input's x."""

    def recognize(self, lines: Sequence[np.ndarray], decoder: Any = None) -> list[LineResult]:
        """Read normalized lines; `decoder` is one built for this kind (None: its default)."""

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Write a model file that `load_recognizer` rebuilds this recognizer from."""

    def prepare_for_reading(self) -> None:
        """Make reading fast (may make the recognizer untrainable)."""


class LineImageRecognizer:
    """Shared by kinds that read fixed-height lines normalized by `image.normalize`: the
    preprocessing is the model's own (height and steps from its metadata), identical in
    training and reading."""

    kind: ClassVar[str] = ""

    def __init__(self, height: int, steps: Sequence[str], metadata: dict | None = None) -> None:
        self._height = height
        self.steps = tuple(steps)
        self.metadata = metadata or {}

    @property
    def height(self) -> int:
        return self._height

    def normalize(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                  baseline: Sequence[Point] | None = None) -> np.ndarray:
        return extract_line(image, polygon, baseline, height=self.height, steps=self.steps)

    def normalize_mapped(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                         baseline: Sequence[Point] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
        return extract_line_mapped(image, polygon, baseline, height=self.height, steps=self.steps)

    def preprocessing_metadata(self) -> dict:
        return {"kind": self.kind, "preprocessing": {"height": self.height, "steps": list(self.steps)}}

    def prepare_for_reading(self) -> None:
        """Nothing to prepare by default."""


def register_kind(name: str):
    """Class decorator: make a recognizer class loadable from model files naming `name`."""
    def register(cls: type) -> type:
        cls.kind = name
        _KINDS[name] = cls
        return cls
    return register


def recognizer_kind(name: str, path: Path | str = "") -> type:
    """The class registered for `name` (importing a built-in kind on first use)."""
    if name not in _KINDS and name in BUILTIN_KINDS:
        importlib.import_module(BUILTIN_KINDS[name])
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(sorted(set(_KINDS) | set(BUILTIN_KINDS)))
        raise ModelError(path, f"model kind {name!r} is unknown to this scriptio (known: {known})",
                         "upgrade scriptio, or install the package that provides this kind") from None


def load_recognizer(name_or_path: str | Path | None = None, threads: int | None = None) -> Any:
    """Rebuild a recognizer from a model file alone (or the bundled 'default'), whatever its kind."""
    path = resolve_model_path(name_or_path)
    state, metadata = read_model_file(path)
    kind = metadata.get("kind", LEGACY_KIND)
    if not isinstance(kind, str):
        raise ModelError(path, f"model metadata has a malformed kind {kind!r} (not a name)",
                         "retrain or re-download the model")
    cls = recognizer_kind(kind, path)
    try:
        recognizer = cls.from_model_file(state, metadata)
    except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError) as error:
        raise ModelError(path, f"model file does not match its architecture ({str(error)[:80]})",
                         "retrain the model with this scriptio version") from None
    if threads:
        import torch

        torch.set_num_threads(threads)
    return recognizer
