"""Read lines with an exported .onnx recognizer and onnxruntime, without PyTorch.

The file's metadata_props (written by `models.onnx_export`) give everything around the graph:
the line normalization (height and steps, the same `image.normalize` pipeline as the PyTorch
recognizer), how the input tensor is built (images, or raw frames of a given window), the
alphabet and pixels per output frame for decoding. So the posteriors can be compared with the
PyTorch recognizer's line by line, and CTC kinds decode to the same text.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scriptio.errors import ModelError
from scriptio.image.normalize import extract_line, extract_line_mapped
from scriptio.models.onnx_format import ALPHABET, INTERFACE, KIND, MODEL, PREPROCESSING, require
from scriptio.nets.tensors import lines_to_array
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult, Point


class OnnxRecognizer:
    """A recognizer read from a scriptio .onnx file: normalize, posteriors, recognize (CTC kinds)."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        ort = require("onnxruntime")
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(self.path, "no such ONNX file", "give a file written by scriptio export --onnx")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own classes for unreadable graphs
            raise ModelError(self.path, f"not a readable ONNX model ({str(error).splitlines()[0][:80]})",
                             "give a file written by scriptio export --onnx") from None
        props = self.session.get_modelmeta().custom_metadata_map
        if INTERFACE not in props:
            raise ModelError(self.path, "ONNX model has no scriptio metadata", "export it with scriptio export --onnx")
        self.kind = props[KIND]
        self.interface = json.loads(props[INTERFACE])
        preprocessing = json.loads(props[PREPROCESSING])
        self.height, self.steps = int(preprocessing["height"]), tuple(preprocessing["steps"])
        self.metadata = json.loads(props.get(MODEL, "{}"))
        self.alphabet = Alphabet.from_json(json.loads(props[ALPHABET])) if ALPHABET in props else None
        self.frame_width = float(self.interface["frame_width"])

    def normalize(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                  baseline: Sequence[Point] | None = None) -> np.ndarray:
        return extract_line(image, polygon, baseline, height=self.height, steps=self.steps)

    def normalize_mapped(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                         baseline: Sequence[Point] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
        return extract_line_mapped(image, polygon, baseline, height=self.height, steps=self.steps)

    def inputs(self, lines: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The graph's input tensors for a batch of normalized lines."""
        if self.interface["input"] == "images":
            images, widths = lines_to_array(lines, int(self.interface.get("min_width", 8)))
            return {"images": images, "widths": widths}
        from scriptio.features.frames import FrameSpec, frames

        spec = FrameSpec(**self.interface["frames"])
        values = [frames(line, spec).astype(np.float32) for line in lines]
        batch = np.zeros((len(values), max(len(v) for v in values), values[0].shape[1]), np.float32)
        for index, value in enumerate(values):
            batch[index, : len(value)] = value
        return {"frames": batch, "frame_counts": np.asarray([len(v) for v in values], np.int64)}

    def posteriors(self, lines: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(T, N, C) log-probabilities and the valid frames of each line."""
        logprobs, lengths = self.session.run(["logprobs", "lengths"], self.inputs(lines))
        return logprobs, lengths

    def line_posteriors(self, lines: Sequence[np.ndarray], batch_size: int = 16) -> list[np.ndarray]:
        """(T_i, C) log-probabilities per line, batched by width as `CtcRecognizer.line_posteriors`."""
        out: list[np.ndarray | None] = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            logprobs, lengths = self.posteriors([lines[i] for i in chunk])
            for column, index in enumerate(chunk):
                out[index] = logprobs[: int(lengths[column]), column]
        return out  # type: ignore[return-value]

    def recognize(self, lines: Sequence[np.ndarray], decoder=None, batch_size: int = 16) -> list[LineResult]:
        """The best hypothesis of a CTC decoder (greedy by default) for each normalized line."""
        if self.alphabet is None:
            raise ModelError(self.path, f"a {self.kind} model's posteriors are HMM states, which need its HMM "
                             "to decode", "read with the .safetensors model, or decode the states yourself")
        from scriptio.decode.decoder import GREEDY

        decoder = decoder or GREEDY
        return [decoder.decode(frames, self.alphabet, self.frame_width)[0]
                for frames in self.line_posteriors(lines, batch_size)]
