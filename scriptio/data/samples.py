"""The sample line that `make run` reads, rendered here so no external file is needed."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from scriptio.data.synth import SynthParams, default_font, render_line

SAMPLE_TEXT = "Kew Gardens, the 21st of December 1895"


def write_sample_line(out: Path, text: str = SAMPLE_TEXT, seed: int = 7) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    image = render_line(text, default_font(64), np.random.default_rng(seed), height=80, params=SynthParams.none())
    cv2.imwrite(str(out), image)
    return out
