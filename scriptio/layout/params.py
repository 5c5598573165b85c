"""Tuning parameters of the page segmenter, gathered in one place.

Lengths marked "spacings" are multiples of the page's line spacing (the distance between
consecutive baselines at working scale), so that they hold whatever the size of the writing;
lengths marked "px" are working-scale pixels. `segment_page` passes its `params` down to
every stage that uses one of them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmenterParams:
    """Every tuning constant of `scriptio.layout`; the defaults are the segmenter's settings."""

    # --- working resolution (segment.py)
    # long side (px) of the downscaled analysis copy: text lines come out 15-40 px high
    work_side: int = 1100
    # line spacing (px) below which the page is analysed again, finer: closer lines blur together
    min_work_spacing: int = 22
    # cap on the long side of that finer copy, so huge scans of small writing stay affordable
    max_work_side: int = 3000

    # --- ink mask (binarize.py)
    # cap on the contrast stretch before thresholding: a blank page's darkest pixels are paper texture
    ink_max_gain: float = 4.0
    # components whose dark pixels reach less than this share of the page's ink level are show-through
    faint_ratio: float = 0.5

    # --- page skew (skew.py)
    # page slope searched either way (degrees): a note scrawled across a page can slope 30°
    skew_max_angle: float = 40.0
    # smaller slopes (degrees) are left alone: the ridge tracer follows them without levelling
    skew_min_angle: float = 0.7
    # the best angle must sharpen the projection profile this much over no rotation, or the page is level
    skew_min_gain: float = 1.05
    # ink pixels sampled for the projection profile: enough for a stable profile, bounded cost per angle
    skew_max_points: int = 60000

    # --- rules and non-text (lines.py)
    # more inner vertical rules than this is squared paper, running under the writing: none are kept
    max_inner_rules: int = 3
    # straight runs longer than this (spacings) are rule fragments: handwriting has few strokes that long
    strip_rule_spacings: float = 1.5
    # components taller than this (spacings) are borders or pictures, not text
    giant_spacings: float = 12.0
    # tall components narrower than this share of their height are rules, brackets or margin writing
    narrow_ratio: float = 0.3

    # --- line spacing (lines.py)
    # shortest line period (px) searched by the row-profile autocorrelation
    spacing_search_min: int = 8

    # --- ridges (lines.py)
    # horizontal smear (spacings): bridges word gaps, not column gaps
    smear_sigma_x: float = 0.8
    # vertical smear (spacings): merges a line's strokes, keeps the valley between lines
    smear_sigma_y: float = 0.12
    # ridge strength needed, relative to a strong line's (90th percentile of the smear)
    ridge_rel: float = 0.25
    # ridges in one column are at least this far apart (spacings): closer peaks belong to one line
    ridge_min_sep: float = 0.4
    # a shorter track whose rows stay within this (spacings) of a longer one's...
    same_ridge_dy: float = 0.8
    # ...with no valley between them (the smear stays above this share of the ridges) is the same line
    same_ridge_valley: float = 0.75
    # a track may resume this far (spacings) after another ends (the tracer drops jumping ridges)...
    join_gap: float = 1.0
    # ...this close (spacings) to its row, and then continues it
    join_dy: float = 0.5

    # --- line pieces (lines.py)
    # a horizontal gap this wide (spacings) separates two lines: wider than a word gap
    gap_split: float = 2.5
    # pieces this narrow (spacings) made of another line's cut-off strokes go back to that line
    orphan_width: float = 1.5
    # pieces of one line may be this far apart (spacings)...
    merge_gap: float = 1.5
    # ...if their body rows where they meet differ by less than this (spacings)
    merge_dy: float = 0.3

    # --- line polygon (lines.py)
    # small margin (spacings) around the ink envelope, so strokes do not touch the polygon's edge
    poly_margin: float = 0.08
    # the polygon covers at least this far above the baseline (spacings): the letter body...
    band_up: float = 0.5
    # ...and at least this far below it, so sparse stretches of a line are still covered
    band_down: float = 0.15
    # and at most this far above the baseline (spacings): room for ascenders and accents...
    reach_up: float = 0.9
    # ...and at most this far below it: strokes of the neighbouring lines stay out
    reach_down: float = 0.55


DEFAULT_PARAMS = SegmenterParams()
