"""Synthetic handwritten text lines rendered from handwriting fonts.

Real transcribed lines are scarce; fonts plus running text are not. Lines rendered here with
randomised spacing, geometry, stroke, paper and camera defects pretrain recognizers and make
test fixtures. Everything is driven by an explicit `numpy.random.Generator`, so a seed
reproduces a dataset exactly.

Without a font folder (tests, fresh installs) Pillow's bundled scalable font stands in, so the
whole module works with no external files.
"""
from __future__ import annotations

import re
import sys
import unicodedata
import warnings
import weakref
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import cv2
import numpy as np
from PIL import ImageFont
from PIL.ImageFont import FreeTypeFont

from scriptio.errors import DataError, InputError

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
DEFAULT_FONT_NAME = "pillow-default"
DEFAULT_SIZES = (32, 48, 64, 80, 96, 128)
# Glyphs spanning cap height, ascenders and descenders: every line gets at least this vertical
# box, so lowercase-only lines are not blown up relative to lines with capitals.
_REFERENCE_CHARS = "Hbdfhklgjpqy"
# A private-use code point no handwriting font maps: it renders as the font's .notdef glyph.
_NOTDEF_PROBE = "\U0010fffd"
_MIN_SPACE_EM = 0.22
_SYNTH_NAME = re.compile(r"^synth_(\d+)\.")

FontFactory = Callable[[int], FreeTypeFont]


# --------------------------------------------------------------------------------------------
# Fonts


def list_fonts(font_dir: Path | str | None) -> list[Path]:
    """Font files under `font_dir` (recursively), sorted so font indices are reproducible.

    None means "no font folder" and gives []; a single font file is accepted as a one-font list.
    """
    if font_dir is None:
        return []
    path = Path(font_dir)
    if path.is_file():
        if path.suffix.lower() not in FONT_SUFFIXES:
            raise InputError(path, "not a font file", "give a .ttf, .otf, .woff or .woff2 file or a folder of them")
        return [path]
    if not path.is_dir():
        raise InputError(path, "font folder not found",
                         "give a folder of .ttf/.otf/.woff fonts, or no folder to use Pillow's default font")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FONT_SUFFIXES)


def default_font(size: int) -> FreeTypeFont:
    """Pillow's bundled scalable font (Aileron): the fallback when no handwriting font is given."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, FreeTypeFont):  # Pillow < 10.1 or built without FreeType
        raise DataError("Pillow's default font is not scalable here; install Pillow >= 10.1 with FreeType "
                        "or give a font folder")
    return font


def _mask_array(mask) -> np.ndarray:
    """A Pillow glyph mask (ImagingCore) as a (h, w) uint8 array."""
    w, h = mask.size
    if w == 0 or h == 0:
        return np.zeros((max(h, 0), max(w, 0)), np.uint8)
    return np.asarray(mask, dtype=np.uint8).reshape(h, w)


class _GlyphCache:
    """Per-font rendered glyphs and kerning-aware advances: compositing cached glyph masks is
    several times faster than asking FreeType to draw each character of every line."""

    def __init__(self, font: FreeTypeFont) -> None:
        self.font = font
        self.glyphs: dict[str, tuple[np.ndarray, int, int]] = {}
        self.advances: dict[tuple[str, str], float] = {}
        self.lengths: dict[str, float] = {}
        left, top, right, bottom = font.getbbox(_REFERENCE_CHARS, anchor="ls")
        self.ref_top, self.ref_bottom = float(top), float(bottom)
        # Some script fonts have spaces of 0.13 em, which run words together once letters are
        # spaced out; a floor keeps word gaps readable.
        self.space = max(float(font.getlength(" ")), _MIN_SPACE_EM * font.size)

    def glyph(self, cluster: str) -> tuple[np.ndarray, int, int]:
        """(mask, dx, dy): the mask's top-left corner sits at (x + dx, baseline + dy)."""
        hit = self.glyphs.get(cluster)
        if hit is None:
            mask, (dx, dy) = self.font.getmask2(cluster, mode="L", anchor="ls")
            hit = (_mask_array(mask), int(dx), int(dy))
            self.glyphs[cluster] = hit
        return hit

    def length(self, text: str) -> float:
        value = self.lengths.get(text)
        if value is None:
            value = self.lengths[text] = float(self.font.getlength(text))
        return value

    def advance(self, cluster: str, following: str | None) -> float:
        """Advance of `cluster` including the kerning towards the next cluster."""
        if following is None:
            return self.length(cluster)
        key = (cluster, following)
        value = self.advances.get(key)
        if value is None:
            value = self.advances[key] = self.length(cluster + following) - self.length(following)
        return value


_GLYPH_CACHES: "weakref.WeakKeyDictionary[FreeTypeFont, _GlyphCache]" = weakref.WeakKeyDictionary()


def _glyph_cache(font: FreeTypeFont) -> _GlyphCache:
    cache = _GLYPH_CACHES.get(font)
    if cache is None:
        cache = _GLYPH_CACHES[font] = _GlyphCache(font)
    return cache


def _font_key(font: FreeTypeFont) -> tuple:
    """Identity of a font face regardless of size, for the glyph-coverage cache."""
    path = getattr(font, "path", None)
    if isinstance(path, (str, Path)):
        return ("path", str(path), getattr(font, "index", 0))
    return ("name", *font.getname())


_COVERAGE: dict[tuple, dict[str, bool]] = {}


def _has_glyph(font: FreeTypeFont, ch: str, notdef: np.ndarray | None) -> bool:
    mask = font.getmask(ch, mode="L")
    if mask.getbbox() is None:
        return False  # missing glyph drawn as nothing (fonts with an empty .notdef)
    if notdef is None:
        return True
    arr = _mask_array(mask)
    return not (arr.shape == notdef.shape and np.array_equal(arr, notdef))  # drawn as the .notdef box


def missing_chars(font: FreeTypeFont, text: str) -> set[str]:
    """Characters of `text` that `font` would draw as a .notdef box or as nothing.

    Whitespace is always fine (it is only an advance). Results are cached per font face.
    """
    coverage = _COVERAGE.setdefault(_font_key(font), {})
    missing: set[str] = set()
    notdef: np.ndarray | None | bool = False
    for ch in set(text):
        if ch.isspace():
            continue
        ok = coverage.get(ch)
        if ok is None:
            if notdef is False:
                probe = font.getmask(_NOTDEF_PROBE, mode="L")
                notdef = _mask_array(probe) if probe.getbbox() is not None else None
            ok = coverage[ch] = _has_glyph(font, ch, notdef)  # type: ignore[arg-type]
        if not ok:
            missing.add(ch)
    return missing


class FontBank:
    """Font files opened lazily at a few sizes, with per-font glyph coverage.

    Opening 85 fonts at six sizes up front would take seconds and memory for fonts that may
    never be drawn; here a face is opened the first time it is asked for. Fonts that fail to
    open are recorded in `skipped` (name -> reason) and never render anything.
    """

    def __init__(self, paths: Sequence[Path] = (), sizes: Sequence[int] = DEFAULT_SIZES,
                 fallback: FontFactory | None = default_font) -> None:
        self.paths = [Path(p) for p in paths]
        self.sizes = tuple(sorted({int(s) for s in sizes}))
        if not self.sizes:
            raise ValueError("FontBank needs at least one size")
        self.fallback = None if self.paths else fallback
        self.names = [p.stem for p in self.paths] if self.paths else ([DEFAULT_FONT_NAME] if fallback else [])
        self.skipped: dict[str, str] = {}
        self._fonts: dict[tuple[int, int], FreeTypeFont] = {}

    @classmethod
    def from_dir(cls, font_dir: Path | str | None, sizes: Sequence[int] = DEFAULT_SIZES,
                 fallback: FontFactory | None = default_font) -> "FontBank":
        """All fonts of a folder; Pillow's default font when the folder is None or has none."""
        return cls(list_fonts(font_dir), sizes, fallback)

    def __len__(self) -> int:
        return len(self.names)

    def size_for(self, height: int) -> int:
        """Render at about one em per output line height, so downscaling antialiases strokes."""
        for size in self.sizes:
            if size >= height:
                return size
        return self.sizes[-1]

    def index(self, font: int | str | Path) -> int:
        if isinstance(font, int):
            if not 0 <= font < len(self.names):
                raise IndexError(f"font index {font} out of range (bank has {len(self.names)})")
            return font
        name = Path(font).stem if isinstance(font, Path) or "/" in str(font) else str(font)
        return self.names.index(name)

    def get(self, font: int | str | Path, size: int) -> FreeTypeFont | None:
        """The font at `size` (None if it could not be opened), cached."""
        i = self.index(font)
        key = (i, int(size))
        hit = self._fonts.get(key)
        if hit is not None:
            return hit
        name = self.names[i]
        if name in self.skipped:
            return None
        try:
            loaded = self.fallback(int(size)) if self.fallback else ImageFont.truetype(str(self.paths[i]), int(size))
        except (OSError, ValueError) as exc:
            self.skipped[name] = f"cannot open: {exc}"
            warnings.warn(f"skipping font {self.paths[i] if self.paths else name}: {exc}", stacklevel=2)
            return None
        self._fonts[key] = loaded
        return loaded

    def can_render(self, font: int | str | Path | FreeTypeFont, text: str) -> bool:
        """Whether every non-space character of `text` has a real glyph in `font`."""
        if isinstance(font, FreeTypeFont):
            return not missing_chars(font, text)
        face = self.get(font, self.sizes[0])
        return face is not None and not missing_chars(face, text)


# --------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class SynthParams:
    """Probabilities (`*_p`) and ranges of every augmentation of `render_line`.

    Lengths are fractions of the output height (`*_h`) or of the em (`*_em`) so the same
    parameters work at any line height. Each augmentation always consumes the same random
    draws whether or not it fires, so switching one on leaves every other one unchanged.
    """

    letter_spacing_p: float = 0.5
    letter_spacing_em: tuple[float, float] = (-0.03, 0.07)   # extra gap after each character
    letter_jitter_em: float = 0.025                            # per-gap standard deviation
    word_spacing_p: float = 0.5
    word_spacing: tuple[float, float] = (0.8, 2.0)            # times the font's space width
    wobble_p: float = 0.5
    wobble_h: tuple[float, float] = (0.01, 0.05)              # peak baseline displacement
    wobble_period_h: tuple[float, float] = (2.0, 10.0)
    slant_p: float = 0.5
    slant_deg: tuple[float, float] = (-20.0, 20.0)            # positive leans right
    rotate_p: float = 0.3
    rotate_deg: tuple[float, float] = (-2.0, 2.0)
    stroke_p: float = 0.4
    stroke_thicken_p: float = 0.5                             # else thin
    elastic_p: float = 0.3
    elastic_h: tuple[float, float] = (0.01, 0.03)             # displacement magnitude
    elastic_scale_h: tuple[float, float] = (0.15, 0.4)        # correlation length
    blur_p: float = 0.4
    blur_sigma: tuple[float, float] = (0.3, 1.2)              # output pixels
    background_p: float = 0.7
    paper_level: tuple[float, float] = (195.0, 250.0)
    gradient_depth: tuple[float, float] = (0.0, 45.0)         # illumination falloff, grey levels
    texture_depth: tuple[float, float] = (0.0, 12.0)
    ruled_p: float = 0.15
    ruled_depth: tuple[float, float] = (15.0, 50.0)
    ink_p: float = 0.8
    ink_level: tuple[float, float] = (0.0, 90.0)
    ink_variation: tuple[float, float] = (0.0, 20.0)          # pressure changes along the line
    noise_p: float = 0.5
    noise_sigma: tuple[float, float] = (1.0, 8.0)
    jpeg_p: float = 0.3
    jpeg_quality: tuple[int, int] = (30, 90)
    margin_v_h: tuple[float, float] = (0.03, 0.15)            # top and bottom, always applied
    margin_h_h: tuple[float, float] = (0.05, 0.5)             # left and right, always applied

    @classmethod
    def none(cls) -> "SynthParams":
        """No augmentation at all: black ink, white paper, font spacing (margins stay random)."""
        return cls(**{f.name: 0.0 for f in fields(cls) if f.name.endswith("_p") and f.name != "stroke_thicken_p"})

    @classmethod
    def only(cls, *names: str) -> "SynthParams":
        """Only the named augmentations (`"slant"`, `"blur"`, ...) and always: for tests and previews."""
        params = cls.none()
        known = {f.name[:-2] for f in fields(cls) if f.name.endswith("_p") and f.name != "stroke_thicken_p"}
        for name in names:
            if name not in known:
                raise ValueError(f"unknown augmentation {name!r}; known: {sorted(known)}")
            params = replace(params, **{f"{name}_p": 1.0})
        return params


@dataclass
class _Plan:
    """Every random choice of one line, drawn up front in a fixed order."""

    letter_spacing: float | None
    letter_jitter: float
    word_spacing: float | None
    wobble: float | None
    wobble_period: float
    wobble_phase: float
    slant: float | None
    rotate: float | None
    stroke: float | None
    thicken: bool
    elastic: float | None
    elastic_scale: float
    blur: float | None
    background: float | None
    gradient_depth: float
    gradient_angle: float
    texture_depth: float
    ruled: float | None
    ruled_offset: float
    ink: float | None
    ink_variation: float
    noise: float | None
    jpeg: float | None
    margins: tuple[float, float, float, float]
    seeds: np.ndarray


def _maybe(rng: np.random.Generator, p: float, bounds: tuple[float, float]) -> float | None:
    """A value in `bounds` with probability p, else None; always two draws."""
    fire = rng.random() < p
    value = float(rng.uniform(bounds[0], bounds[1]))
    return value if fire else None


def _plan(rng: np.random.Generator, p: SynthParams) -> _Plan:
    return _Plan(
        letter_spacing=_maybe(rng, p.letter_spacing_p, p.letter_spacing_em),
        letter_jitter=float(p.letter_jitter_em),
        word_spacing=_maybe(rng, p.word_spacing_p, p.word_spacing),
        wobble=_maybe(rng, p.wobble_p, p.wobble_h),
        wobble_period=float(rng.uniform(*p.wobble_period_h)),
        wobble_phase=float(rng.uniform(0, 2 * np.pi)),
        slant=_maybe(rng, p.slant_p, p.slant_deg),
        rotate=_maybe(rng, p.rotate_p, p.rotate_deg),
        stroke=_maybe(rng, p.stroke_p, (0.0, 1.0)),
        thicken=bool(rng.random() < p.stroke_thicken_p),
        elastic=_maybe(rng, p.elastic_p, p.elastic_h),
        elastic_scale=float(rng.uniform(*p.elastic_scale_h)),
        blur=_maybe(rng, p.blur_p, p.blur_sigma),
        background=_maybe(rng, p.background_p, p.paper_level),
        gradient_depth=float(rng.uniform(*p.gradient_depth)),
        gradient_angle=float(rng.uniform(0, 2 * np.pi)),
        texture_depth=float(rng.uniform(*p.texture_depth)),
        ruled=_maybe(rng, p.ruled_p, p.ruled_depth),
        ruled_offset=float(rng.uniform(-0.02, 0.06)),
        ink=_maybe(rng, p.ink_p, p.ink_level),
        ink_variation=float(rng.uniform(*p.ink_variation)),
        noise=_maybe(rng, p.noise_p, p.noise_sigma),
        jpeg=_maybe(rng, p.jpeg_p, (float(p.jpeg_quality[0]), float(p.jpeg_quality[1]))),
        margins=tuple(float(v) for v in np.concatenate([rng.uniform(*p.margin_v_h, 2),
                                                        rng.uniform(*p.margin_h_h, 2)])),  # type: ignore[arg-type]
        seeds=rng.integers(0, 2**63 - 1, size=8),
    )


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks attached, so marks stay on their base letter."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.combining(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float, channels: int = 1,
                  ) -> np.ndarray:
    """Values in about [-1, 1] varying smoothly over `cell` pixels (bicubic-upsampled coarse
    noise): Simard-style smooth random fields without a costly full-resolution Gaussian filter.
    Returns (h, w) or, with channels > 1, (h, w, channels)."""
    h, w = shape
    gh = max(2, int(np.ceil((h - 1) / cell)) + 1)
    gw = max(2, int(np.ceil((w - 1) / cell)) + 1)
    coarse = rng.uniform(-1.0, 1.0, (gh, gw, channels) if channels > 1 else (gh, gw)).astype(np.float32)
    big = cv2.resize(coarse, (int(round((gw - 1) * cell)) + 1, int(round((gh - 1) * cell)) + 1),
                     interpolation=cv2.INTER_CUBIC)
    return big[:h, :w]


def _draw_text(text: str, font: FreeTypeFont, plan: _Plan, rng: np.random.Generator,
               ) -> tuple[np.ndarray, float, tuple[float, float, float, float]]:
    """Ink coverage (0-255) of the text at the font's size, the baseline row, and the box that
    must stay visible: the inked extent joined with the font's ascender/descender range."""
    cache = _glyph_cache(font)
    em = float(font.size)
    clusters = _clusters(text)
    jitter = rng.normal(0.0, 1.0, len(clusters))
    xs: list[float] = []
    x = 0.0
    for i, cluster in enumerate(clusters):
        xs.append(x)
        nxt = clusters[i + 1] if i + 1 < len(clusters) else None
        step = cache.advance(cluster, nxt)
        if cluster.isspace():
            step = cache.space * (plan.word_spacing if plan.word_spacing is not None else 1.0)
            if plan.letter_spacing is not None:  # word gaps must stay wider than letter gaps
                step += 2.0 * max(plan.letter_spacing, 0.0) * em
        elif plan.letter_spacing is not None and nxt is not None and not nxt.isspace():
            step += (plan.letter_spacing + plan.letter_jitter * jitter[i]) * em
        x += max(step, 0.05 * em if not cluster.isspace() else 0.0)
    glyphs = [(xs[i], cache.glyph(c)) for i, c in enumerate(clusters) if not c.isspace()]
    top, bottom = cache.ref_top, cache.ref_bottom
    left, right = 0.0, x
    for gx, (mask, dx, dy) in glyphs:
        h, w = mask.shape
        left, right = min(left, gx + dx), max(right, gx + dx + w)
        top, bottom = min(top, dy), max(bottom, dy + h)
    pad = 4
    width = int(np.ceil(right - left)) + 2 * pad
    height = int(np.ceil(bottom - top)) + 2 * pad
    baseline = pad - top
    canvas = np.zeros((height, width), np.uint8)
    for gx, (mask, dx, dy) in glyphs:
        h, w = mask.shape
        if h == 0 or w == 0:
            continue
        x0 = int(round(gx + dx - left)) + pad
        y0 = int(round(baseline + dy))
        region = canvas[y0:y0 + h, x0:x0 + w]
        np.maximum(region, mask[:region.shape[0], :region.shape[1]], out=region)
    box = (float(pad), float(pad), float(width - pad), float(height - pad))
    return canvas, float(baseline), box


def _stroke(cov: np.ndarray, plan: _Plan, em: float) -> np.ndarray:
    """Thicker or thinner pen: dilate/erode at render scale (kernel 2 or 3 px by font size).

    Erosion that would wipe out more than half the ink (hairline scripts) falls back to the
    smaller kernel or is skipped."""
    if plan.stroke is None:
        return cov
    k = 3 if (em >= 56 and plan.stroke >= 0.5) else 2
    if plan.thicken:
        return cv2.dilate(cov, np.ones((k, k), np.uint8))
    before = float(cov.sum())
    for size in (k, 2):
        thinned = cv2.erode(cov, np.ones((size, size), np.uint8))
        if float(thinned.sum()) >= 0.5 * before:
            return thinned
    return cov


def render_line(text: str, font: FreeTypeFont | str | Path, rng: np.random.Generator,
                height: int = 64, params: SynthParams | None = None) -> np.ndarray:
    """One synthetic handwritten line: uint8 grayscale, dark ink on light paper, exactly
    `height` rows, width following the text.

    `font` is a loaded font (any size: the text is scaled to fit) or a font file path. All
    randomness comes from `rng`. Geometry (scale, slant, rotation, baseline wobble, elastic
    distortion) is folded into a single `cv2.remap`, which keeps a 40-character line at 64 px
    at a few milliseconds.
    """
    if not text or not text.strip():
        raise ValueError("render_line needs some non-space text")
    if height < 8:
        raise ValueError(f"height must be at least 8 pixels, got {height}")
    if not isinstance(font, FreeTypeFont):
        font = _open_font(str(font), _render_size(height))
    params = params or SynthParams()
    plan = _plan(rng, params)
    stage = [np.random.default_rng(int(s)) for s in plan.seeds]
    H = int(height)
    em = float(font.size)

    cov, baseline, (bx0, by0, bx1, by1) = _draw_text(text, font, plan, stage[0])
    # The pen change spreads ink by at most a pixel into the 4-px canvas pad and the margins;
    # the box stays put so a thicker pen does not also shrink the writing.
    cov = _stroke(cov, plan, em)

    # Forward affine about the baseline start: shear (slant) then rotation, in render pixels.
    shear = np.tan(np.radians(plan.slant)) if plan.slant is not None else 0.0
    theta = np.radians(plan.rotate) if plan.rotate is not None else 0.0
    c, s_ = np.cos(theta), np.sin(theta)
    A = np.array([[c, -s_], [s_, c]]) @ np.array([[1.0, -shear], [0.0, 1.0]])
    origin = np.array([bx0, baseline])
    corners = np.array([[bx0, by0], [bx1, by0], [bx0, by1], [bx1, by1]]) - origin
    moved = corners @ A.T
    X0, Y0 = moved.min(axis=0)
    X1, Y1 = moved.max(axis=0)

    mt, mb, ml, mr = plan.margins
    wob = (plan.wobble or 0.0) * H
    ela = (plan.elastic or 0.0) * H
    reserve = (mt + mb) * H + 2 * wob + 2 * ela
    usable = min(max(H - reserve, 0.5 * H), H - 2 * wob - 2 * ela)
    scale = usable / max(Y1 - Y0, 1.0)
    extra = H - usable - 2 * wob - 2 * ela  # what is left for the top/bottom margins
    top_margin = max(extra, 0.0) * (mt / (mt + mb) if mt + mb > 0 else 0.5)
    W = max(int(np.ceil(scale * (X1 - X0) + (ml + mr) * H + 2 * ela)), 8)
    ox = ml * H + ela
    oy = top_margin + wob + ela

    # Pre-shrink so the remap below resamples near 1:1: bilinear is enough down to 1/2, area
    # averaging (slower) below that, to avoid aliasing thin strokes.
    if scale < 0.9:
        sw = max(int(round(cov.shape[1] * scale)), 1)
        sh = max(int(round(cov.shape[0] * scale)), 1)
        interp = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        small = cv2.resize(cov, (sw, sh), interpolation=interp)
        fx, fy = sw / cov.shape[1], sh / cov.shape[0]
    else:
        small, fx, fy = cov, 1.0, 1.0

    # Inverse map: output pixel -> displaced -> un-wobbled -> un-scaled -> un-rotated/sheared
    # -> pre-shrunk pixel. Scalars are Python floats so the maps stay float32.
    inv = np.linalg.inv(A)
    i00, i01, i10, i11 = (float(x) for x in inv.ravel())
    X0f, Y0f, ks = float(X0), float(Y0), 1.0 / scale
    u = np.arange(W, dtype=np.float32)[None, :]
    v = np.arange(H, dtype=np.float32)[:, None]
    if plan.elastic is not None:
        field = _smooth_noise(stage[1], (H, W), max(plan.elastic_scale * H, 2.0), channels=2)
        uu = u + ela * field[:, :, 0]
        vv = v + ela * field[:, :, 1]
    else:
        uu, vv = u, v
    if plan.wobble is not None:
        period = plan.wobble_period * H
        wave = 0.7 * np.sin((2 * np.pi / period) * u + plan.wobble_phase)
        wave = wave + 0.3 * _smooth_noise(stage[2], (1, W), period / 3)
        vv = vv - (wob * wave).astype(np.float32)
    Xt = (uu - ox) * ks + X0f
    Yt = (vv - oy) * ks + Y0f
    xs = i00 * Xt + i01 * Yt + float(origin[0])
    ys = i10 * Xt + i11 * Yt + float(origin[1])
    map_x = np.broadcast_to((xs + 0.5) * fx - 0.5, (H, W)).astype(np.float32)
    map_y = np.broadcast_to((ys + 0.5) * fy - 0.5, (H, W)).astype(np.float32)
    ink_cov = cv2.remap(small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    if plan.blur is not None:
        ink_cov = cv2.GaussianBlur(ink_cov, (0, 0), plan.blur)

    # The baseline start sits at transformed (0, 0); it runs along angle theta in the output.
    slope = float(np.tan(theta))
    base_v0 = oy - scale * Y0 + slope * (scale * X0 - ox)
    paper = _paper(plan, stage[3], H, W, base_v0, slope)
    alpha = ink_cov.astype(np.float32) * (1.0 / 255.0)
    if plan.ink is not None:
        ink = plan.ink + plan.ink_variation * _smooth_noise(stage[4], (1, W), 1.5 * H)
        ink = np.clip(ink, 0.0, 120.0).astype(np.float32)
    else:
        ink = np.float32(0.0)
    out = paper - (paper - ink) * alpha
    if plan.noise is not None:
        out += plan.noise * stage[5].standard_normal(out.shape, dtype=np.float32)
    img = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if plan.jpeg is not None:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(round(plan.jpeg))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return img


def _paper(plan: _Plan, rng: np.random.Generator, H: int, W: int, baseline_v0: float,
           slope: float) -> np.ndarray:
    """Paper: flat white, or a level with an illumination gradient, low-frequency texture and
    optionally a faint ruled line under the writing."""
    if plan.background is None:
        paper = np.full((H, W), 255.0, np.float32)
    else:
        # Light falls off along a random direction by up to `gradient_depth` over the line's
        # length, so across the short side the change is proportionally smaller.
        k = 1.0 / max(W, H)
        gx, gy = float(np.cos(plan.gradient_angle)) * k, float(np.sin(plan.gradient_angle)) * k
        u = np.arange(W, dtype=np.float32)[None, :] * gx
        v = np.arange(H, dtype=np.float32)[:, None] * gy
        proj = u + v
        proj = proj - float(proj.min())
        paper = plan.background - plan.gradient_depth * proj
        paper = paper + plan.texture_depth * _smooth_noise(rng, (H, W), 0.5 * H)
        paper = np.minimum(paper, 255.0).astype(np.float32)
    if plan.ruled is not None:
        cols = np.arange(W)
        rows = np.round(baseline_v0 + plan.ruled_offset * H + slope * cols).astype(int)
        keep = (rows >= 0) & (rows < H)
        paper[rows[keep], cols[keep]] -= plan.ruled
    return paper


def _render_size(height: int) -> int:
    for size in DEFAULT_SIZES:
        if size >= height:
            return size
    return DEFAULT_SIZES[-1]


_OPEN_FONTS: dict[tuple[str, int], FreeTypeFont] = {}


def _open_font(path: str, size: int) -> FreeTypeFont:
    key = (path, size)
    font = _OPEN_FONTS.get(key)
    if font is None:
        try:
            font = _OPEN_FONTS[key] = ImageFont.truetype(path, size)
        except OSError as exc:
            raise InputError(path, f"cannot open font: {exc}", "give a .ttf/.otf/.woff font file") from exc
    return font


# --------------------------------------------------------------------------------------------
# Text and datasets


def _clean(text: str) -> str:
    """NFC with all whitespace runs collapsed to one space: what a line transcription holds."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def synth_lines(texts: Iterable[str], font_dir: Path | str | None, count: int, seed: int,
                height: int = 64, params: SynthParams | None = None,
                ) -> Iterator[tuple[np.ndarray, str, str]]:
    """`count` random (image, text, font name) lines, deterministic for `seed`.

    Texts are NFC-normalised with whitespace collapsed (the yielded text is what was drawn).
    For each line a random text is paired with a random font; a font lacking a glyph of that
    text is replaced by another one, and a text no font can draw is dropped.
    """
    pool = list(dict.fromkeys(t for t in (_clean(t) for t in texts) if t))
    if count <= 0:
        return
    if not pool:
        raise DataError("no text to render: the text list is empty")
    bank = FontBank.from_dir(font_dir)
    if not len(bank):
        raise DataError("no font to render with")
    rng = np.random.default_rng(seed)
    size = bank.size_for(height)
    dead: set[int] = set()
    made = 0
    while made < count:
        if len(dead) == len(pool):
            raise DataError(f"none of the {len(pool)} texts can be drawn by any of the {len(bank)} fonts "
                            f"(unsupported characters)")
        ti = int(rng.integers(len(pool)))
        line_seed = int(rng.integers(0, 2**63 - 1))
        if ti in dead:
            continue
        text = pool[ti]
        chosen = next((int(i) for i in rng.permutation(len(bank)) if bank.can_render(int(i), text)), None)
        if chosen is None:
            dead.add(ti)
            continue
        font = bank.get(chosen, size)
        assert font is not None
        image = render_line(text, font, np.random.default_rng(line_seed), height, params)
        made += 1
        yield image, text, bank.names[chosen]


def text_snippets(text_file: Path | str, rng: np.random.Generator, min_chars: int = 5,
                  max_chars: int = 70, limit: int | None = None) -> list[str]:
    """Cut running text (one paragraph per line) into line-sized snippets at word boundaries.

    Each snippet aims at a random length in [min_chars, max_chars], so synthetic lines vary in
    length like real ones. Text is NFC with whitespace collapsed; words longer than max_chars
    and paragraph tails shorter than min_chars are dropped. Stops after `limit` snippets.
    """
    if min_chars < 1 or max_chars < min_chars:
        raise ValueError(f"need 1 <= min_chars <= max_chars, got {min_chars}, {max_chars}")
    path = Path(text_file)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(path, "text file not found", "give a UTF-8 text file, one paragraph per line") from exc
    except UnicodeDecodeError as exc:
        raise InputError(path, "not UTF-8 text", "convert it to UTF-8") from exc
    out: list[str] = []

    def target() -> int:
        return int(rng.integers(min_chars, max_chars + 1))

    for paragraph in raw.splitlines():
        words = _clean(paragraph).split(" ")
        if words == [""]:
            continue
        goal = target()
        cur: list[str] = []
        cur_len = 0
        joinable = False  # out[-1] ends right before `cur` starts, within this paragraph
        for word in words:
            if len(word) > max_chars:  # cannot be cut at a word boundary: skip it
                if cur_len >= min_chars:
                    out.append(" ".join(cur))
                cur, cur_len, goal, joinable = [], 0, target(), False
                continue
            grown = cur_len + len(word) + (1 if cur else 0)
            if cur and grown > goal:
                if cur_len >= min_chars:
                    out.append(" ".join(cur))
                    cur, cur_len, joinable = [word], len(word), True
                elif grown <= max_chars:
                    out.append(" ".join(cur + [word]))
                    cur, cur_len, joinable = [], 0, True
                else:
                    cur, cur_len, joinable = [word], len(word), False
                goal = target()
            else:
                cur.append(word)
                cur_len = grown
            if limit is not None and len(out) >= limit:
                return out[:limit]
        # A paragraph's short tail joins the snippet before it when that still fits, rather
        # than becoming a one-word line (or being lost when under min_chars).
        if cur and joinable and cur_len < goal / 2 and len(out[-1]) + 1 + cur_len <= max_chars:
            out[-1] = out[-1] + " " + " ".join(cur)
        elif cur_len >= min_chars:
            out.append(" ".join(cur))
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def _highest_index(out_dir: Path) -> int:
    best = 0
    for p in out_dir.iterdir():
        m = _SYNTH_NAME.match(p.name)
        if m:
            best = max(best, int(m.group(1)))
    return best


def write_synth_dataset(out_dir: Path | str, fonts: Path | str | None, text_file: Path | str, count: int,
                        seed: int = 0, height: int = 64, progress: bool = True) -> int:
    """Write `count` lines as `synth_NNNNNN.png` + `synth_NNNNNN.gt.txt` (the folder format).

    Never overwrites: numbering continues after the highest `synth_*` index already in
    `out_dir`, and the random stream is keyed on (seed, first index) so an append adds new
    lines instead of repeating the first batch. Returns how many pairs were written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(out, "exists and is not a folder", "give a folder to write the dataset into")
    out.mkdir(parents=True, exist_ok=True)
    if count <= 0:
        return 0
    start = _highest_index(out) + 1
    rng = np.random.default_rng([abs(int(seed)), start])
    texts = text_snippets(text_file, rng)
    if not texts:
        raise DataError(f"{text_file}: no snippet of 5-70 characters could be cut from this text")
    lines = synth_lines(texts, fonts, count, int(rng.integers(0, 2**63 - 1)), height)
    written = 0
    bar = None
    if progress and sys.stdout.isatty():
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        task = bar.add_task("synthetic lines", total=count)
    try:
        for k, (image, text, _font) in enumerate(lines):
            stem = f"synth_{start + k:06d}"
            ok, png = cv2.imencode(".png", image)
            if not ok:
                raise DataError(f"could not encode {stem}.png")
            with open(out / f"{stem}.png", "xb") as fh:  # "x": fail rather than overwrite
                fh.write(png.tobytes())
            with open(out / f"{stem}.gt.txt", "x", encoding="utf-8", newline="\n") as fh:
                fh.write(text + "\n")
            written += 1
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return written
