"""ONNX export of every neural recognizer kind: onnxruntime reads the exported graph to the same
log-posteriors as PyTorch (1e-4) at widths other than the export's, the file describes itself,
and the GMM-HMM, which has no network, is refused in one line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.data.synth import SynthParams, default_font, render_line
from scriptio.errors import ModelError
from scriptio.features.frames import FrameSpec, frames
from scriptio.hmm.model import CharacterHmm
from scriptio.image.normalize import extract_line
from scriptio.models.frame_kinds import FrameCtcRecognizer, HybridRecognizer
from scriptio.models.hmm_kind import CLASSIC_STEPS, HmmRecognizer
from scriptio.models.onnx_export import EXAMPLE_WIDTHS, export_onnx, exportable
from scriptio.models.onnx_format import ALPHABET, INTERFACE, KIND, PREPROCESSING, OnnxUnavailable, require
from scriptio.models.onnx_runner import OnnxRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNNConfig
from scriptio.nets.frame_nets import FrameNetConfig, build_frame_net
from scriptio.nets.mdlstm_net import MDLSTMConfig
from scriptio.text.codec import Alphabet
from scriptio.train.lines import new_recognizer
from tests.conftest import WORDS

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

TOLERANCE = 1e-4
TEXTS = ["a", "the cat sat", "ten", "on a mat dog ran to tea", "net eat", "dog ate the tea on a mat the end"]
HEIGHT = 32


def rendered_lines(seed: int = 3) -> list[np.ndarray]:
    """Lines of writing (not noise) of many widths, as a page would give them."""
    rng = np.random.default_rng(seed)
    font = default_font(28)
    return [render_line(text, font, rng, height=40, params=SynthParams.none()) for text in TEXTS]


def crnn(batch_independent: bool) -> object:
    config = CRNNConfig(height=HEIGHT, channels=(8, 16, 16, 16), pools=((2, 2), (2, 2), (2, 1), (2, 1)), hidden=16,
                        layers=2, batch_independent=batch_independent, end_margin=8 if batch_independent else 0,
                        stage_blocks=(1, 0, 0, 1) if batch_independent else ())
    return new_recognizer(["".join(WORDS) + " "], config)


def mdlstm() -> object:
    return new_recognizer(["".join(WORDS) + " "], MDLSTMConfig(height=HEIGHT, hidden=(4, 6, 8), features=(8, 12)))


def frame_standardization(spec: FrameSpec) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([frames(extract_line(line, height=HEIGHT, steps=CLASSIC_STEPS), spec)
                             for line in rendered_lines(seed=9)])
    return values.mean(axis=0), values.std(axis=0) + 1e-3


def ctc_frames() -> FrameCtcRecognizer:
    spec = FrameSpec(9, 3, "handcrafted")
    mean, scale = frame_standardization(spec)
    alphabet = Alphabet.from_texts(["".join(WORDS) + " "])
    network = build_frame_net(FrameNetConfig(kind="blstm", inputs=len(mean), classes=alphabet.num_classes, hidden=8,
                                             layers=2, stack=3, per_frame=False))
    return FrameCtcRecognizer(network, alphabet, spec, mean, scale, HEIGHT, CLASSIC_STEPS)


def hybrid(kind: str) -> HybridRecognizer:
    spec = FrameSpec(9, 3, "pixels" if kind == "mlp" else "handcrafted")
    mean, scale = frame_standardization(spec)
    hmm = CharacterHmm.create(sorted(set("".join(WORDS))), 3, 56)
    config = FrameNetConfig(kind=kind, inputs=len(mean), classes=hmm.global_states, hidden=12, layers=2, context=2,
                            stack=3, per_frame=True)
    priors = np.log(np.full(hmm.global_states, 1.0 / hmm.global_states))
    return HybridRecognizer(hmm, FrameSpec(9, 3), build_frame_net(config), priors, spec, mean, scale, HEIGHT,
                            CLASSIC_STEPS, prior_scale=0.5)


KINDS = {"crnn": lambda: crnn(False), "crnn-batch-independent": lambda: crnn(True), "mdlstm": mdlstm,
         "ctc-frames-blstm": ctc_frames, "hybrid-mlp": lambda: hybrid("mlp"), "hybrid-blstm": lambda: hybrid("blstm")}


def torch_posteriors(recognizer, lines: list[np.ndarray]) -> list[np.ndarray]:
    """The PyTorch recognizer's own per-frame log-posteriors, by its public methods."""
    if isinstance(recognizer, HybridRecognizer):  # its emissions are posteriors over priors
        return [recognizer.line_emissions(line) + recognizer.prior_scale * recognizer.log_priors for line in lines]
    return recognizer.line_posteriors(lines)


def assert_same_posteriors(recognizer, runner: OnnxRecognizer, images: list[np.ndarray]) -> None:
    lines = [recognizer.normalize(image) for image in images]
    assert len({line.shape[1] for line in lines} - set(EXAMPLE_WIDTHS)) >= 4, "widths unlike the export's"
    expected, got = torch_posteriors(recognizer, lines), runner.line_posteriors(lines)
    for want, have in zip(expected, got):
        assert want.shape == have.shape
        assert float(np.abs(want - have).max()) < TOLERANCE
    alone, alone_expected = runner.line_posteriors(lines[3:4])[0], torch_posteriors(recognizer, lines[3:4])[0]
    assert float(np.abs(alone - alone_expected).max()) < TOLERANCE  # a batch of one, as wide as that line


@pytest.mark.parametrize("name", list(KINDS))
def test_every_neural_kind_exports_and_reads_back_the_same(name, tmp_path):
    torch.manual_seed(1)
    model = tmp_path / f"{name}.safetensors"
    KINDS[name]().save(model)
    recognizer = load_recognizer(model)
    out = tmp_path / f"{name}.onnx"
    interface = export_onnx(model, out)
    assert interface["max_abs_difference"] < TOLERANCE
    runner = OnnxRecognizer(out, threads=1)
    assert_same_posteriors(recognizer, runner, rendered_lines())
    if recognizer.kind != "hybrid":
        lines = [recognizer.normalize(image) for image in rendered_lines()]
        assert [r.text for r in runner.recognize(lines)] == [r.text for r in recognizer.recognize(lines)]


def test_the_metadata_makes_the_file_self_describing(tmp_path):
    torch.manual_seed(2)
    recognizer = crnn(True)
    model, out = tmp_path / "m.safetensors", tmp_path / "m.onnx"
    recognizer.save(model, {"val_cer": {"hooker": 0.2}})
    export_onnx(model, out)
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert props[KIND] == "ctc"
    assert json.loads(props[ALPHABET]) == recognizer.alphabet.to_json()
    assert json.loads(props[PREPROCESSING]) == {"height": HEIGHT, "steps": list(recognizer.steps)}
    interface = json.loads(props[INTERFACE])
    assert interface["input"] == "images" and interface["frame_width"] == recognizer.frame_width
    runner = OnnxRecognizer(out)
    assert (runner.kind, runner.height, runner.steps) == ("ctc", HEIGHT, recognizer.steps)
    assert runner.alphabet.chars == recognizer.alphabet.chars and runner.metadata["val_cer"] == {"hooker": 0.2}
    graph = onnx.load(str(out)).graph
    images = graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in images] == ["batch", 1, HEIGHT, "width"]


def test_a_hybrids_file_carries_its_state_priors(tmp_path):
    recognizer = hybrid("mlp")
    model, out = tmp_path / "h.safetensors", tmp_path / "h.onnx"
    recognizer.save(model)
    export_onnx(model, out)
    runner = OnnxRecognizer(out)
    assert runner.kind == "hybrid" and runner.alphabet is None and runner.interface["frames"]["kind"] == "pixels"
    np.testing.assert_allclose(runner.interface["log_priors"], recognizer.log_priors, atol=1e-5)
    with pytest.raises(ModelError, match="HMM"):
        runner.recognize([recognizer.normalize(rendered_lines()[0])])


@pytest.fixture(scope="module")
def default_onnx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("onnx") / "default.onnx"
    result = CliRunner().invoke(app, ["export", "--onnx", "default", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out}")
    return out


def test_the_bundled_model_exports_and_reads_back_the_same(default_onnx):
    recognizer = load_recognizer("default")
    recognizer.prepare_for_reading()  # as api.load_model reads
    runner = OnnxRecognizer(default_onnx, threads=2)
    assert_same_posteriors(recognizer, runner, rendered_lines())
    lines = [recognizer.normalize(image) for image in rendered_lines()]
    assert [r.text for r in runner.recognize(lines)] == [r.text for r in recognizer.recognize(lines)]


def test_an_hmm_is_refused_in_one_line(tmp_path):
    model, out = tmp_path / "hmm.safetensors", tmp_path / "hmm.onnx"
    HmmRecognizer(CharacterHmm.create(["a", "b"], 2, 56), FrameSpec()).save(model)
    with pytest.raises(ModelError, match="GMM-HMM"):
        exportable(load_recognizer(model), model)
    result = CliRunner().invoke(app, ["export", "--onnx", str(model), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert result.output.count("\n") == 1 and "GMM-HMM" in result.output and "no neural network" in result.output


def test_user_mistakes_are_one_line_errors(tmp_path, tiny_model_path):
    runner = CliRunner()
    existing = tmp_path / "there.onnx"
    existing.write_bytes(b"keep")
    for args, message in ((["export", str(tiny_model_path), "--out", str(tmp_path / "a.onnx")], "--onnx"),
                          (["export", "--onnx", str(tiny_model_path), "--out", str(existing)], "exists"),
                          (["export", "--onnx", str(tmp_path / "none"), "--out", str(tmp_path / "b.onnx")],
                           "no such model file")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1
    assert existing.read_bytes() == b"keep"
    with pytest.raises(ModelError, match="no scriptio metadata|not a readable ONNX"):
        OnnxRecognizer(existing)


def test_a_missing_onnx_package_names_the_extra(monkeypatch, tmp_path, tiny_model_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(OnnxUnavailable, match=r"pip install 'scriptio\[onnx\]'"):
        require("onnx")
    result = CliRunner().invoke(app, ["export", "--onnx", str(tiny_model_path), "--out", str(tmp_path / "t.onnx")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "pip install 'scriptio[onnx]'" in result.output
