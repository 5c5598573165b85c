"""`scriptio train --arch attention`: a paragraph reader trained from annotated pages and a line model."""
from __future__ import annotations

import json

import cv2
import numpy as np
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN
from scriptio.text.codec import Alphabet
from tests.paragraphs import TINY, bars_block


def annotated_pages(folder, pages: int = 3) -> None:
    """pages.jsonl in ../shared's format: a block of bar lines per page, every line's polygon."""
    rows = []
    (folder / "pages").mkdir()
    for number in range(pages):
        block = bars_block(3, np.random.default_rng(number))
        image = np.full((block.image.shape[0] + 40, block.image.shape[1] + 40), 245, np.uint8)
        image[20:20 + block.image.shape[0], 20:20 + block.image.shape[1]] = block.image
        cv2.imwrite(str(folder / "pages" / f"p{number}.png"), image)
        lines = [{"id": f"p{number}_l{i}", "text": "ab"[i % 2] * 3, "region": 1, "baseline": None,
                  "polygon": [[20, 20 + c - 12], [180, 20 + c - 12], [180, 20 + c + 12], [20, 20 + c + 12]]}
                 for i, c in enumerate(block.centres)]
        region = {"index": 1, "polygon": [[20, 20], [180, 20], [180, image.shape[0] - 20], [20, image.shape[0] - 20]]}
        rows.append({"page": f"p{number}", "image": f"pages/p{number}.png", "split": "train",
                     "width": image.shape[1], "height": image.shape[0], "regions": [region], "lines": lines})
    (folder / "pages.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_train_attention_stage_writes_a_paragraph_model(tmp_path):
    annotated_pages(tmp_path)
    line_model = tmp_path / "line.safetensors"
    CtcRecognizer(CRNN(TINY), Alphabet(list("abcd")), ("contrast", "resize")).save(line_model)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "--arch", "attention", "--stage", "attention", "--init", str(line_model),
                                      str(tmp_path / "pages.jsonl"), "--out", str(out), "--minutes", "0.05",
                                      "--threads", "1"])
    assert result.exit_code == 0, result.output
    reader = load_recognizer(out / "best.safetensors")
    assert reader.kind == "paragraph"
    assert reader.metadata["training"]["stage"] == "attention"
    assert reader.metadata["training"]["blocks"] == 2    # one of the 3 documents is held out as dev
    # the attention stage leaves the line model as it was
    trained = reader.network.reader.state_dict()
    original = load_recognizer(line_model).network.state_dict()
    assert all(np.allclose(trained[name].numpy(), original[name].numpy()) for name in original)


def test_an_unknown_stage_is_refused_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["train", "--arch", "attention", "--stage", "everything", "pages.jsonl",
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    assert "--stage everything: choose attention or decoder or joint" in result.output
    assert "Traceback" not in result.output
