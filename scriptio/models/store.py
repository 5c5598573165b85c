"""The model file: one .safetensors holding weights plus JSON metadata.

Metadata records architecture and hyper-parameters, alphabet, preprocessing, training data and
validation CER, so that `load` can rebuild the recognizer from the file alone.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from safetensors import safe_open

from scriptio.atomic import atomic_target
from scriptio.errors import ModelError

FORMAT_VERSION = 1
METADATA_KEY = "scriptio"
PACKAGE_MODELS = Path(__file__).resolve().parent


def save_model(path: str | Path, state: dict[str, torch.Tensor], metadata: dict) -> None:
    """Write atomically (temp file + rename) so a crash never leaves a half-written model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    meta = dict(metadata, format_version=FORMAT_VERSION)
    with atomic_target(path) as temp:
        save_file(tensors, str(temp), metadata={METADATA_KEY: json.dumps(meta, ensure_ascii=False)})


def resolve_model_path(name_or_path: str | Path | None) -> Path:
    """A path, or the name of a bundled model ('default')."""
    if name_or_path is None or str(name_or_path) == "default":
        return PACKAGE_MODELS / "default" / "model.safetensors"
    path = Path(name_or_path)
    if not path.exists():
        bundled = PACKAGE_MODELS / str(name_or_path) / "model.safetensors"
        if bundled.exists():
            return bundled
        raise ModelError(path, "no such model file", "give a .safetensors model written by `scriptio train`")
    if path.is_dir():
        inner = path / "model.safetensors"
        if inner.exists():
            return inner
        raise ModelError(path, "folder holds no model.safetensors", "give the model file itself")
    return path


def read_model_file(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Read weights and metadata, or raise ModelError saying why this is not a scriptio model."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(METADATA_KEY)
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise ModelError(path, f"not a readable model file ({str(error).splitlines()[0][:80]})",
                         "give a .safetensors model written by `scriptio train`") from None
    if raw is None:
        raise ModelError(path, "safetensors file has no scriptio metadata",
                         "give a model written by `scriptio train`")
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError:
        raise ModelError(path, "model metadata is corrupt", "retrain or re-download the model") from None
    if not isinstance(metadata, dict):
        raise ModelError(path, f"model metadata is a JSON {type(metadata).__name__}, not an object",
                         "retrain or re-download the model")
    version = metadata.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ModelError(path, f"model metadata has a malformed format_version {repr(version)[:40]} "
                         "(not a whole number)",
                         "retrain or re-download the model")
    if version > FORMAT_VERSION:
        raise ModelError(path, "model was written by a newer scriptio", "upgrade scriptio")
    return state, metadata
