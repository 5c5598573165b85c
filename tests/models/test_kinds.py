"""A recognizer kind that is not CTC, registered here alone, is read by `scriptio read` and
`api.read` with no change anywhere else: the loader dispatches on the model file's kind."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from scriptio import api
from scriptio.cli import app
from scriptio.errors import ModelError
from scriptio.models.recognizer import LineImageRecognizer, load_recognizer, register_kind
from scriptio.models.store import save_model
from scriptio.types import LineResult
from tests.cli.test_pages import render_page


@register_kind("toy-width")
class WidthReader(LineImageRecognizer):
    """Reads every line as the word it was configured with, followed by the line's width bucket:
    enough to see that lines reach it, normalized by its own preprocessing, in order."""

    def __init__(self, word: str, height: int = 24, metadata: dict | None = None) -> None:
        super().__init__(height, ("contrast", "trim", "resize"), metadata)
        self.word = word
        self.prepared = False

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "WidthReader":
        return cls(metadata["word"], int(state["height"].item()), metadata)

    def recognize(self, lines: Sequence[np.ndarray], decoder=None) -> list[LineResult]:
        assert all(line.shape[0] == self.height for line in lines)
        return [LineResult(text=f"{self.word} {line.shape[1] // 100}", confidence=0.9) for line in lines]

    def prepare_for_reading(self) -> None:
        self.prepared = True

    def save(self, path, extra: dict | None = None) -> None:
        save_model(path, {"height": torch.tensor(self.height)}, {**self.preprocessing_metadata(), "word": self.word,
                                                                 **(extra or {})})


@pytest.fixture
def toy_model(tmp_path) -> Path:
    path = tmp_path / "toy.safetensors"
    WidthReader("hello", height=20).save(path)
    return path


def test_the_loader_rebuilds_a_registered_kind_from_its_file(toy_model):
    model = load_recognizer(toy_model)
    assert isinstance(model, WidthReader) and model.word == "hello" and model.height == 20
    assert api.load_model(toy_model).prepared


def test_api_reads_lines_and_pages_with_the_toy_kind(toy_model):
    model = api.load_model(toy_model)
    line = np.full((40, 300), 255, np.uint8)
    line[10:30, 20:280] = 0
    [page] = api.read(line, level="line", recognizer=model)
    assert [l.text for l in page.lines] == [f"hello {model.normalize(line).shape[1] // 100}"]
    [page] = api.read(render_page(3), level="page", recognizer=model)
    assert len(page.lines) == 4 and all(l.text.startswith("hello ") for l in page.lines)


def test_scriptio_read_uses_the_toy_kind(toy_model, tmp_path):
    image = tmp_path / "letter.png"
    Image.fromarray(render_page(3)).save(image)
    result = CliRunner().invoke(app, ["read", "--model", str(toy_model), str(image)])
    assert result.exit_code == 0, result.output
    assert result.output.count("hello ") == 4


def test_an_unknown_kind_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "alien.safetensors"
    save_model(path, {"x": torch.zeros(1)}, {"kind": "alien"})
    with pytest.raises(ModelError, match="alien.safetensors: model kind 'alien' is unknown.*upgrade scriptio"):
        load_recognizer(path)
