"""The models a server may use, by name, each loaded once and shared by every request and worker.

Clients choose among names this catalog lists (GET /v1/models); a client never names a file, so
no request can make the server open a path it chose. The operator adds model files by path when
starting the server.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scriptio.errors import ScriptioError

DEFAULT = "default"


def _file_metadata(path: Path) -> dict:
    """A model file's metadata from its header alone (the weights are not read)."""
    from safetensors import safe_open

    from scriptio.models.store import METADATA_KEY

    try:
        with safe_open(str(path), framework="pt") as handle:
            return json.loads((handle.metadata() or {}).get(METADATA_KEY) or "{}")
    except Exception:  # a summary must not fail the listing; loading it reports the problem
        return {}


def _recognizer_summary(name: str, metadata: dict, path: Path | None) -> dict[str, Any]:
    preprocessing = metadata.get("preprocessing") or {}
    alphabet = (metadata.get("alphabet") or {}).get("chars") or []
    summary = {"name": name, "kind": metadata.get("kind", "ctc"), "arch": metadata.get("arch"),
               "line_height": preprocessing.get("height"), "characters": len(alphabet),
               "val_cer": metadata.get("val_cer_measured") or metadata.get("val_cer") or {}}
    if path is not None and path.is_file():
        summary["file_mb"] = round(path.stat().st_size / 1e6, 2)
    return summary


class ModelCatalog:
    """Recognizers by name (file paths or ready objects), the segmenter, language models by name.

    recognizers: name → model file path, or an already loaded recognizer (tests, embedding);
                 None: the bundled model as 'default'.
    segmenter:   what `api.load_segmenter` takes: 'default', 'classic', 'learned', or a file.
    lms:         allowed language-model names; None: every bundled one.
    """

    def __init__(self, recognizers: Mapping[str, str | Path | Any] | None = None, default: str | None = None,
                 segmenter: str = "default", lms: Sequence[str] | None = None, threads: int | None = None) -> None:
        from scriptio.lm.bundle import bundled_names
        from scriptio.models.store import resolve_model_path

        self._sources: dict[str, Any] = dict(recognizers or {DEFAULT: resolve_model_path(None)})
        if not self._sources:
            raise ValueError("a server needs at least one recognizer")
        self.default = default or (DEFAULT if DEFAULT in self._sources else next(iter(self._sources)))
        if self.default not in self._sources:
            raise ValueError(f"default recognizer {self.default!r} is not among {sorted(self._sources)}")
        for name, source in self._sources.items():
            if isinstance(source, (str, Path)) and not Path(source).is_file():
                raise ScriptioError(f"recognizer {name!r}: no model file at {source}")
        self.segmenter_name = segmenter
        self.lm_names = list(bundled_names() if lms is None else lms)
        self.threads = threads
        self._loaded: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    # -- choices a request makes -------------------------------------------------------------
    def check(self, model: str | None, lm: str | None) -> None:
        """Refuse unknown names before any work is queued (422 through ScriptioError)."""
        if model is not None and model not in self._sources:
            raise ScriptioError(f"unknown model {model!r} (this server has: {', '.join(self._sources)}; "
                                "see GET /v1/models)")
        if lm is not None and lm not in self.lm_names:
            known = ", ".join(self.lm_names) or "none"
            raise ScriptioError(f"unknown language model {lm!r} (this server has: {known}; see GET /v1/models)")

    def _once(self, key: tuple[str, str | None], load: Callable[[], Any]) -> Any:
        with self._lock:  # one load per model, even when requests ask for it together
            if key not in self._loaded:
                self._loaded[key] = load()
            return self._loaded[key]

    def recognizer(self, model: str | None = None) -> Any:
        from scriptio import api

        name = model or self.default
        self.check(name, None)
        source = self._sources[name]
        if not isinstance(source, (str, Path)):
            return source
        return self._once(("recognizer", name), lambda: api.load_model(source, threads=self.threads))

    def segmenter(self) -> Any:
        from scriptio import api

        return self._once(("segmenter", None), lambda: api.load_segmenter(self.segmenter_name))

    def decoder(self, lm: str | None = None) -> Any:
        """The decoder for `lm` (greedy without one), built once: a language model takes seconds."""
        from scriptio import api

        self.check(None, lm)
        return self._once(("decoder", lm), lambda: api.build_decoder(lm=lm))

    def preload(self) -> None:
        """Load the default recognizer and the segmenter now, so the first request is not slow and a
        broken model file stops the start rather than a request."""
        self.recognizer()
        self.segmenter()

    # -- what GET /v1/models shows ----------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        from scriptio.lm.bundle import BUNDLED, BUNDLE_FILE
        from scriptio.models.store import PACKAGE_MODELS

        recognizers = []
        for name, source in self._sources.items():
            path = Path(source) if isinstance(source, (str, Path)) else None
            metadata = _file_metadata(path) if path else dict(getattr(source, "metadata", {}) or {})
            if path is None:
                metadata.setdefault("kind", getattr(source, "kind", None))
            recognizers.append(dict(_recognizer_summary(name, metadata, path), default=name == self.default))
        layout_path = PACKAGE_MODELS / "layout" / "model.safetensors"
        uses_layout_model = (self.segmenter_name in ("default", "learned")
                             or self.segmenter_name.endswith(".safetensors"))
        if self.segmenter_name.endswith(".safetensors"):
            layout_path = Path(self.segmenter_name)
        layout = _file_metadata(layout_path) if uses_layout_model else {}
        segmenter = {"name": "learned" if self.segmenter_name == "default" else self.segmenter_name,
                     "kind": "layout" if uses_layout_model else "classic"}
        if layout:
            segmenter.update(arch=layout.get("arch"), targets=layout.get("targets"), work_side=layout.get("work_side"),
                             val_f1=layout.get("val_f1_measured"), val_page_cer=layout.get("val_page_cer_measured"))
        lms = []
        for name in self.lm_names:
            try:
                info = json.loads((BUNDLED / name / BUNDLE_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                info = {}
            lms.append({"name": name, "kind": info.get("kind"), "language": info.get("language"),
                        "beam": info.get("beam"), "lm_weight": info.get("lm_weight"),
                        "word_bonus": info.get("word_bonus"), "orders": info.get("orders"),
                        "trained_on": info.get("trained_on")})
        return {"recognizers": recognizers, "segmenter": segmenter, "language_models": lms}
