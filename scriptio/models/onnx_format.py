"""What a scriptio .onnx file holds beside its graph (metadata_props keys), and the one-line
error when the optional ONNX packages are missing. Shared by the exporter and the runner, and
free of torch so that reading through onnxruntime never imports it."""
from __future__ import annotations

import importlib
from types import ModuleType

from scriptio.errors import ScriptioError

ONNX_INSTALL = "pip install 'scriptio[onnx]'"
# metadata_props keys: the kind, the CTC alphabet (Alphabet.to_json), the line normalization
# ({"height", "steps"}), how to build the inputs and read the outputs, the model file's metadata.
KIND, ALPHABET, PREPROCESSING, INTERFACE, MODEL = (
    "scriptio.kind", "scriptio.alphabet", "scriptio.preprocessing", "scriptio.interface", "scriptio.model")


class OnnxUnavailable(ScriptioError):
    """onnx or onnxruntime is not installed."""


def require(module: str) -> ModuleType:
    """Import onnx or onnxruntime, or say in one line how to install them."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise OnnxUnavailable(f"ONNX export and reading need the {module} package: {ONNX_INSTALL}") from None
