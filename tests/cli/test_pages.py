"""`scriptio segment` and `scriptio read --level page`: layout files, write-back, multi-page TIFF."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.cli.pages import run_pages
from scriptio.data.sources import read_xml
from scriptio.image.normalize import extract_line_mapped
from scriptio.text.metrics import cer
from scriptio.types import LineResult
from tests.conftest import WORDS

runner = CliRunner()
LINES = 4


def render_page(seed: int, lines: int = LINES) -> np.ndarray:
    """A white 900x700 page with `lines` rows of rendered words, 70 px apart."""
    from scriptio.data.synth import SynthParams, default_font, render_line

    rng = np.random.default_rng(seed)
    page = np.full((900, 700), 255, np.uint8)
    font = default_font(32)
    for row in range(lines):
        text = " ".join(rng.choice(WORDS, size=4))
        line = render_line(text, font, rng, height=40, params=SynthParams.none())[:, :560]
        top = 120 + row * 70
        page[top:top + line.shape[0], 70:70 + line.shape[1]] = np.minimum(
            page[top:top + line.shape[0], 70:70 + line.shape[1]], line)
    return page


@pytest.fixture
def page_image(tmp_path) -> Path:
    path = tmp_path / "letter.png"
    Image.fromarray(render_page(3)).save(path)
    return path


class StubRecognizer:
    """Reads every line as its order on the page: tests the plumbing, not the network."""

    height = 32

    def __init__(self) -> None:
        self.calls = 0

    def normalize_mapped(self, image, polygon=None, baseline=None):
        return extract_line_mapped(image, polygon, baseline, height=self.height)

    def recognize(self, lines, decoder=None):
        results = []
        for _ in lines:
            self.calls += 1
            results.append(LineResult(text=f"line {self.calls}", confidence=0.5))
        return results


def test_segment_writes_valid_page_xml_with_every_line(page_image, tmp_path, page_schema):
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", "--output-dir", str(out), str(page_image)])
    assert result.exit_code == 0, result.output
    written = out / "letter.page.xml"
    assert page_schema.validate(etree.parse(str(written))), page_schema.error_log
    records = read_xml(written)
    assert len(records) == LINES
    tops = [min(y for _, y in r.polygon) for r in records]
    assert tops == sorted(tops), "lines must come top to bottom"
    assert all(r.baseline and len(r.baseline) >= 2 for r in records)


def test_segment_alto_and_json(page_image, tmp_path, alto_schema):
    out = tmp_path / "out"
    for fmt in ("alto", "json"):
        result = runner.invoke(app, ["segment", "--format", fmt, "--output-dir", str(out), str(page_image)])
        assert result.exit_code == 0, result.output
    assert alto_schema.validate(etree.parse(str(out / "letter.alto.xml")))
    data = json.loads((out / "letter.json").read_text(encoding="utf-8"))
    assert sum(len(region["lines"]) for region in data["regions"]) == LINES


def test_segment_refuses_xml_and_reports_missing_but_does_the_rest(page_image, tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["segment", "--output-dir", str(out), str(page_image)])
    result = runner.invoke(app, ["segment", "--output-dir", str(tmp_path / "again"), str(out / "letter.page.xml"),
                                 str(tmp_path / "missing.png"), str(page_image)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "already segmented" in errors[0] and "missing.png" in errors[1]
    assert (tmp_path / "again" / "letter.page.xml").exists()


def test_read_page_fills_text_in_reading_order(page_image, tmp_path):
    out = tmp_path / "out"
    failures = run_pages([page_image], out, "json", recognizer=StubRecognizer())
    assert failures == 0
    data = json.loads((out / "letter.json").read_text(encoding="utf-8"))
    texts = [line["text"] for region in data["regions"] for line in region["lines"]]
    assert texts == [f"line {n}" for n in range(1, LINES + 1)]


def test_page_xml_input_is_read_as_given_and_written_back(page_image, tmp_path, page_schema):
    layout = tmp_path / "layout"
    runner.invoke(app, ["segment", "--output-dir", str(layout), str(page_image)])
    given = read_xml(layout / "letter.page.xml")
    out = tmp_path / "out"
    failures = run_pages([layout / "letter.page.xml"], out, None, recognizer=StubRecognizer())
    assert failures == 0
    written = out / "letter.page.xml"   # PAGE in, PAGE out (never over the input's own name)
    assert page_schema.validate(etree.parse(str(written)))
    back = read_xml(written)
    assert [r.id for r in back] == [r.id for r in given]
    assert [r.polygon for r in back] == [r.polygon for r in given]
    assert [r.baseline for r in back] == [r.baseline for r in given]
    assert [r.text for r in back] == [f"line {n}" for n in range(1, LINES + 1)]
    again = run_pages([layout / "letter.page.xml"], layout, None, recognizer=StubRecognizer())
    assert again == 1, "writing back over the input itself must be refused"
    assert [r.text for r in read_xml(layout / "letter.page.xml")] == [""] * LINES


def test_multi_page_tiff_gives_one_output_per_frame(tmp_path):
    path = tmp_path / "bundle.tif"
    frames = [Image.fromarray(render_page(seed, lines)) for seed, lines in ((1, 2), (2, 3))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    out = tmp_path / "out"
    assert run_pages([path], out, "json", recognizer=StubRecognizer()) == 0
    counts = []
    for name in ("bundle.json", "bundle_p2.json"):
        data = json.loads((out / name).read_text(encoding="utf-8"))
        counts.append(sum(len(region["lines"]) for region in data["regions"]))
    assert counts == [2, 3]


def test_blank_page_reads_as_nothing_without_error(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("L", (800, 1000), 250).save(path)
    out = tmp_path / "out"
    assert run_pages([path], out, "txt", recognizer=StubRecognizer()) == 0
    assert (out / "blank.txt").read_text(encoding="utf-8").strip() == ""


def page_texts(seed: int, lines: int = LINES) -> list[str]:
    """The texts `render_page(seed, lines)` draws (the same draws of the same generator)."""
    from scriptio.data.synth import SynthParams, default_font, render_line

    rng, font, texts = np.random.default_rng(seed), default_font(32), []
    for _ in range(lines):
        texts.append(" ".join(rng.choice(WORDS, size=4)))
        render_line(texts[-1], font, rng, height=40, params=SynthParams.none())
    return texts


def test_read_page_with_a_real_model_file(page_image, tmp_path, alto_schema):
    """The bundled handwriting model, through segmentation, on a page of printed words: every row
    found, in order, and read well enough (spaces aside, the model was not trained on print)."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["read", "--format", "alto", "--output-dir", str(out), str(page_image)])
    assert result.exit_code == 0, result.output
    written = etree.parse(str(out / "letter.alto.xml"))
    assert alto_schema.validate(written)
    lines = written.findall(".//{*}TextLine")
    assert len(lines) == LINES
    tops = [float(line.get("VPOS")) for line in lines]
    assert tops == sorted(tops) and min(tops) >= 100   # the rendered rows, top to bottom
    read = ["".join(s.get("CONTENT") for s in line.findall("{*}String")) for line in lines]
    truth = [text.replace(" ", "") for text in page_texts(3)]
    truth[-1] = truth[-1][:9]   # render_page cuts its rows at 560 px: the last word of this one
    assert cer(truth, read) < 0.3, (truth, read)   # measured: 0.16


def test_line_level_refuses_layout_formats(tiny_model_path, page_image):
    result = runner.invoke(app, ["read", "--level", "line", "--format", "page", "--model", str(tiny_model_path),
                                 str(page_image)])
    assert result.exit_code == 2 and "--level page" in result.output
