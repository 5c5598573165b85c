"""What a newcomer reads first: a real handwritten page shipped with the package (`make run`),
and a sample line rendered here for tests that need no external file."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from scriptio.data.synth import SynthParams, default_font, render_line

SAMPLE_TEXT = "Kew Gardens, the 21st of December 1895"
# A CC-BY validation page of the peraire set (see sample_page/CREDIT.md) and its transcription.
SAMPLE_PAGE = Path(__file__).parent / "sample_page" / "peraire-B.6.urss4_0050.jpg"
SAMPLE_PAGE_TEXT = SAMPLE_PAGE.with_suffix(".gt.txt")


def write_sample_page(out: Path) -> Path:
    """Copy the shipped page to `out` and its reference transcription beside it (`.gt.txt`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(SAMPLE_PAGE.read_bytes())
    out.with_suffix(".gt.txt").write_text(SAMPLE_PAGE_TEXT.read_text(encoding="utf-8"), encoding="utf-8")
    return out


def write_sample_line(out: Path, text: str = SAMPLE_TEXT, seed: int = 7) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    image = render_line(text, default_font(64), np.random.default_rng(seed), height=80, params=SynthParams.none())
    cv2.imwrite(str(out), image)
    return out
