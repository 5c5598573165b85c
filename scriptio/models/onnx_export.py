"""Export a neural recognizer's network to ONNX: `scriptio export --onnx MODEL --out FILE.onnx`.

The graph maps the recognizer's input tensor to its per-frame log-posteriors, with the batch and
the line's width (or frame count) as dynamic axes; what the graph cannot hold (normalizing a
line, cutting frames, decoding) is described in the file's metadata_props, so the .onnx file
alone says how to read with it (`models.onnx_runner` does).

Inputs and outputs, all kinds:
- CTC on images (`ctc`: CRNN, MDLSTM): `images` (N, 1, H, W) float32 ink = 1 - gray / 255 on 0,
  zero-padded on the right, and `widths` (N,) int64, each line's own width;
- frame kinds (`ctc-frames`, `hybrid`): `frames` (N, T, D) float32, the raw
  `features.frames.frames(line, spec)` zero-padded, and `frame_counts` (N,) int64, each line's
  own (standardized inside);
- outputs `logprobs` (T, N, C) natural-log posteriors (CTC: blank is class 0, then the alphabet;
  hybrid: HMM states) and `lengths` (N,) int64, the valid frames of each line.

The legacy TorchScript exporter is used: it turns nn.LSTM into ONNX LSTM and the MDLSTM's
scripted diagonal loop into an ONNX Loop (the dynamo exporter would unroll it for one width).
"""
from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from scriptio.atomic import atomic_target
from scriptio.errors import InputError, ModelError
from scriptio.models.onnx_format import ALPHABET, INTERFACE, KIND, MODEL, PREPROCESSING, require
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import resolve_model_path

OPSET = 17
# Example lines (px wide, or frames long) to trace with: two of unequal size, so that the trace
# sees padding and lengths; and others to verify the graph with, so that the verification also
# shows the width axis is dynamic.
EXAMPLE_WIDTHS, VERIFY_WIDTHS = (131, 96), (57, 203, 160)
EXAMPLE_FRAMES, VERIFY_FRAMES = (37, 23), (12, 51, 40)
VERIFY_TOLERANCE = 1e-3      # max |log p| difference on the verification lines that counts as a broken export
Inputs = Callable[[tuple[int, ...]], tuple[torch.Tensor, torch.Tensor]]


def exportable(recognizer: Any, path: Path | str = "model") -> tuple[nn.Module, Inputs, dict, tuple, tuple]:
    """The recognizer's network in an exportable form, a function making its inputs for lines of
    given sizes, the interface it exposes, and the sizes to trace and to verify with.

    Raises ModelError for kinds with no network to export (the GMM-HMM) or none known here.
    """
    from scriptio.models.ctc import CtcRecognizer
    from scriptio.models.frame_kinds import FrameCtcRecognizer, HybridRecognizer
    from scriptio.models.hmm_kind import HmmRecognizer

    kind = getattr(recognizer, "kind", "?")
    if isinstance(recognizer, CtcRecognizer):
        return _image_network(recognizer)
    if isinstance(recognizer, (FrameCtcRecognizer, HybridRecognizer)):
        return _frame_network(recognizer)
    if isinstance(recognizer, HmmRecognizer):
        raise ModelError(path, "is a GMM-HMM (kind hmm): Gaussian mixtures and Viterbi decoding, no neural network "
                         "to export to ONNX", "export a neural kind: ctc, ctc-frames or hybrid")
    raise ModelError(path, f"model kind {kind!r} has no ONNX export", "export a ctc, ctc-frames or hybrid model")


def _image_network(recognizer: Any) -> tuple[nn.Module, Inputs, dict, tuple, tuple]:
    from scriptio.nets.mdlstm_export import ExportableMDLSTMNet
    from scriptio.nets.mdlstm_net import MDLSTMNet
    from scriptio.nets.tensors import lines_to_batch

    network = copy.deepcopy(recognizer.network).cpu().eval()
    if isinstance(network, MDLSTMNet):
        network = ExportableMDLSTMNet(network)
    elif hasattr(network, "prepare_for_inference"):
        network.prepare_for_inference()  # folded batch norms; a packed BLSTM split into plain halves

    def inputs(widths: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        lines = [np.full((recognizer.height, w), 255, np.uint8) for w in widths]
        for line in lines:  # strokes, so that the lines exercise every path
            line[recognizer.height // 3: 2 * recognizer.height // 3, 10:-10:7] = 0
        images, lengths = lines_to_batch(lines)
        return images.contiguous(), lengths

    interface = {"input": "images", "inputs": ["images", "widths"], "min_width": 8,
                 "images": "(N, 1, H, W) float32, 1 - gray / 255 of the normalized lines, zero-padded on the right",
                 "frame_width": recognizer.frame_width, "classes": "CTC: blank (0), then the alphabet"}
    return network, inputs, interface, EXAMPLE_WIDTHS, VERIFY_WIDTHS


def _frame_network(recognizer: Any) -> tuple[nn.Module, Inputs, dict, tuple, tuple]:
    from scriptio.models.frame_kinds import HybridRecognizer
    from scriptio.nets.frame_export import ExportableFrameNet
    from scriptio.nets.frame_nets import pad_frames

    inputs = recognizer.inputs
    network = ExportableFrameNet(copy.deepcopy(recognizer.network).cpu(), inputs.mean, inputs.scale).eval()
    dimension = len(np.atleast_1d(inputs.mean))

    def frames(counts: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(0)  # frames spread like the training data's
        return pad_frames([torch.from_numpy(rng.normal(size=(t, dimension)) * inputs.scale + inputs.mean).float()
                           for t in counts])

    spec = inputs.spec
    interface = {"input": "frames", "inputs": ["frames", "frame_counts"],
                 "frames": {"width": spec.width, "shift": spec.shift, "kind": spec.kind},
                 "frames_doc": "(N, T, D) float32 raw features.frames.frames of the normalized lines, zero-padded"}
    if isinstance(recognizer, HybridRecognizer):
        interface.update(frame_width=float(spec.shift), classes="HMM states (global state numbers)",
                         log_priors=[round(float(v), 6) for v in recognizer.log_priors],
                         prior_scale=recognizer.prior_scale,
                         scaled_likelihoods="logprobs - prior_scale * log_priors")
    else:
        interface.update(frame_width=float(spec.shift * recognizer.network.config.stack),
                         classes="CTC: blank (0), then the alphabet")
    return network, frames, interface, EXAMPLE_FRAMES, VERIFY_FRAMES


def metadata_props(recognizer: Any, interface: dict) -> dict[str, str]:
    """The key/value pairs that make the .onnx file self-describing."""
    metadata = {**recognizer.metadata, **recognizer.preprocessing_metadata()}
    alphabet = getattr(recognizer, "alphabet", None)
    props = {KIND: recognizer.kind,
             PREPROCESSING: json.dumps({"height": recognizer.height, "steps": list(recognizer.steps)}),
             INTERFACE: json.dumps(interface, ensure_ascii=False),
             MODEL: json.dumps(metadata, ensure_ascii=False)}
    if alphabet is not None:
        props[ALPHABET] = json.dumps(alphabet.to_json(), ensure_ascii=False)
    return props


def export_recognizer(recognizer: Any, out: str | Path, source: str = "", opset: int = OPSET) -> dict:
    """Write `recognizer`'s network to `out` (atomically); returns the interface, with the largest
    log-probability difference between onnxruntime and PyTorch on lines of other widths than the traced ones."""
    onnx = require("onnx")
    require("onnxruntime")
    network, inputs, interface, example_sizes, verify_sizes = exportable(recognizer, source or "model")
    names = interface["inputs"]
    axes = {names[0]: {0: "batch", 3: "width"} if names[0] == "images" else {0: "batch", 1: "time"},
            names[1]: {0: "batch"}, "logprobs": {0: "frames", 1: "batch"}, "lengths": {0: "batch"}}
    interface.update(outputs=["logprobs", "lengths"], logprobs="(T, N, C) float32 natural-log posteriors per frame",
                     lengths="(N,) int64 valid frames per line", opset=opset, source=source,
                     exported_by=f"scriptio {_version()}, torch {torch.__version__.split('+')[0]}")
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes: checked below instead
        torch.onnx.export(network, inputs(example_sizes), buffer, dynamo=False, input_names=names,
                          output_names=["logprobs", "lengths"], dynamic_axes=axes, opset_version=opset)
    model = onnx.load_from_string(buffer.getvalue())
    model.producer_name, model.producer_version = "scriptio", _version()
    model.doc_string = f"scriptio {recognizer.kind} recognizer: {names[0]} -> per-frame log-posteriors"
    for key, value in metadata_props(recognizer, interface).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    interface["max_abs_difference"] = _verify(network, inputs(verify_sizes), data, names)
    if interface["max_abs_difference"] > VERIFY_TOLERANCE:
        raise ModelError(source or "model", f"the exported graph disagrees with PyTorch by "
                         f"{interface['max_abs_difference']:.2g} in log-probability", "report this as a bug")
    try:
        with atomic_target(out) as temp:
            temp.write_bytes(data)
    except OSError as error:
        raise InputError(out, f"cannot write the ONNX file ({error.strerror})", "choose a writable folder") from None
    return interface


def _verify(network: nn.Module, example: tuple[torch.Tensor, ...], data: bytes, names: list[str]) -> float:
    """Largest |log p| difference on the valid frames of `example`'s lines."""
    ort = require("onnxruntime")
    with torch.no_grad():
        expected, lengths = network(*example)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got, _ = session.run(None, {name: tensor.contiguous().numpy() for name, tensor in zip(names, example)})
    return max(float(np.abs(got[: int(n), i] - expected[: int(n), i].numpy()).max()) for i, n in enumerate(lengths))


def export_onnx(model: str | Path | None, out: str | Path, opset: int = OPSET) -> dict:
    """Export the model file (or bundled name) `model` to the ONNX file `out`."""
    require("onnx")
    require("onnxruntime")
    path = resolve_model_path(model)
    return export_recognizer(load_recognizer(path), out, source=path.name, opset=opset)


def _version() -> str:
    from scriptio import __version__

    return __version__
