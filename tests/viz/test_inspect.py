"""`scriptio inspect`: one picture per network stage, posteriors with one row per shown class,
a best class for every frame; and the stage rule on a network made here."""
from __future__ import annotations

import json

import cv2
import numpy as np
import torch
from torch import nn
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.recognizer import load_recognizer
from scriptio.viz.inspect import CHANNEL_ROW, CLASS_ROW, LABEL_MARGIN, MAX_CHANNELS, stage_maps

runner = CliRunner()


def test_stages_are_the_last_output_at_each_spatial_size():
    network = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 1)))
    stages = stage_maps(network, lambda: network(torch.zeros(1, 1, 16, 20)))
    assert [(name, tuple(output.shape)) for name, output in stages] == [
        ("1", (1, 4, 16, 20)), ("4", (1, 6, 8, 10)), ("5", (1, 6, 4, 10))]


def test_inspect_writes_stage_maps_posteriors_and_frames(tiny_model_path, tmp_path):
    line = np.full((40, 300), 235, np.uint8)
    cv2.putText(line, "the cat", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    cv2.imwrite(str(tmp_path / "line.png"), line)
    out = tmp_path / "seen"
    result = runner.invoke(app, ["inspect", str(tmp_path / "line.png"), "--out", str(out),
                                 "--model", str(tiny_model_path)])
    assert result.exit_code == 0, result.output
    model = load_recognizer(tiny_model_path)
    config = model.network.config
    index = json.loads((out / "index.json").read_text())
    files = [entry["file"] for entry in index]
    normalized = cv2.imread(str(out / "line.png"), cv2.IMREAD_GRAYSCALE)
    assert normalized.shape[0] == config.height
    stages = sorted(out.glob("stage-*.png"))
    assert len(stages) == len(config.pools) + 1 and [p.name for p in stages] == [f for f in files if f.startswith("stage")]
    first = cv2.imread(str(stages[0]), cv2.IMREAD_GRAYSCALE)
    shown = min(MAX_CHANNELS, config.channels[0])
    assert first.shape == (config.height + shown * (max(CHANNEL_ROW, config.height) + 2), normalized.shape[1])
    frames = model.line_posteriors([model.normalize(line)])[0]
    rows = (out / "best-per-frame.tsv").read_text().strip().splitlines()[1:]
    assert len(rows) == len(frames)
    assert [row.split("\t")[1] for row in rows] == [(["blank", *model.alphabet.chars])[c] for c in frames.argmax(1)]
    posteriors = cv2.imread(str(out / "posteriors.png"), cv2.IMREAD_GRAYSCALE)
    below = posteriors.shape[0] - config.height
    assert below >= CLASS_ROW + 2 and below % (CLASS_ROW + 2) == 0
    assert (posteriors.shape[1] - LABEL_MARGIN) % len(frames) == 0


def test_inspect_names_an_unreadable_image(tiny_model_path, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    result = runner.invoke(app, ["inspect", str(bad), "--out", str(tmp_path / "o"), "--model", str(tiny_model_path)])
    assert result.exit_code != 0 and "notes.png" in result.output and "Traceback" not in result.output


def test_a_paragraph_reader_shows_where_it_looked_for_each_line(tmp_path):
    from scriptio.models.paragraph_kind import ParagraphRecognizer
    from scriptio.viz.inspect import inspect_block, write_inspection
    from tests.paragraphs import ALPHABET, bars_block, trained_tiny_reader

    block = bars_block(2, np.random.default_rng(3))
    reader = ParagraphRecognizer(trained_tiny_reader(), ALPHABET)
    inspection = inspect_block(reader, block.image)
    names = [picture.name for picture in inspection.pictures]
    assert names == ["block", "line-01-attention", "line-01-posteriors", "line-02-attention", "line-02-posteriors"]
    scaled = inspection.pictures[0].image
    for picture in inspection.pictures[1::2]:
        assert picture.image.shape == (*scaled.shape, 3)
        # the red tint is strongest around the line the reader attended to
        redness = picture.image[..., 2].astype(int) - picture.image[..., 1].astype(int)
        assert redness.max() > 100
    first, second = (np.argmax((p.image[..., 2].astype(int) - p.image[..., 1]).mean(axis=1))
                     for p in inspection.pictures[1::2])
    assert abs(first - block.centres[0]) < 20 and abs(second - block.centres[1]) < 20
    written = write_inspection(inspection, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.png" for n in names)


def test_a_band_reader_shows_the_band_each_line_was_read_from(tmp_path):
    import copy

    from scriptio.models.paragraph_kind import ParagraphRecognizer
    from scriptio.viz.inspect import inspect_block
    from tests.models.test_paragraph_bands import Centring
    from tests.paragraphs import ALPHABET, bars_block, trained_tiny_reader

    block = bars_block(2, np.random.default_rng(3))
    net = copy.deepcopy(trained_tiny_reader())
    net.config.read_mode, net.config.line_steps = "band", ("stroke_mask", "contrast", "trim", "resize")
    reader = ParagraphRecognizer(net, ALPHABET)
    reader._lines = Centring()   # reads a band's ink as a line (the tiny line model reads too badly)
    inspection = inspect_block(reader, block.image)
    lines = reader.read_block(block.image)
    assert [p.name for p in inspection.pictures] == ["block"] + [
        f"line-{n:02d}-{kind}" for n in range(1, len(lines) + 1) for kind in ("attention", "posteriors")]
    assert len(lines) == 2
    for line, posteriors in zip(lines, inspection.pictures[2::2]):
        normalized = reader.lines.normalize(block.image, line.polygon)
        # the band as the line recognizer read it, above its posteriors
        assert posteriors.image.shape[1] >= normalized.shape[1] and posteriors.image.shape[0] > normalized.shape[0]
