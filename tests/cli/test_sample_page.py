"""`make run`'s job: the shipped handwritten page, read end to end with the bundled models,
comes out close to its transcription."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio import api
from scriptio.cli import app
from scriptio.data.samples import SAMPLE_PAGE_TEXT
from scriptio.text.metrics import ErrorRate


def test_the_shipped_page_reads_within_twenty_percent_cer(tmp_path):
    result = CliRunner().invoke(app, ["sample", "--out", str(tmp_path / "page.jpg")])
    assert result.exit_code == 0, result.output
    reference = (tmp_path / "page.gt.txt").read_text(encoding="utf-8")
    assert reference == SAMPLE_PAGE_TEXT.read_text(encoding="utf-8") and len(reference.splitlines()) == 27
    page = api.read(tmp_path / "page.jpg")[0]
    lines = [line.text for line in page.lines if line.is_text and line.text.strip()]
    rate = ErrorRate()
    rate.add(" ".join(reference.split()), " ".join(" ".join(lines).split()))
    assert 24 <= len(lines) <= 30
    assert rate.cer <= 0.20, (rate.cer, lines)
