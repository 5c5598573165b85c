"""Synthetic line rendering, with Pillow's bundled font only (no /work/shared data)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from scriptio.data.synth import (
    DEFAULT_FONT_NAME,
    FontBank,
    SynthParams,
    list_fonts,
    render_line,
    synth_lines,
    text_snippets,
    write_synth_dataset,
)
from scriptio.errors import DataError, InputError

TEXT = "The quick brown fox jumps over the lazy dog"
AUGMENTATIONS = ["letter_spacing", "word_spacing", "wobble", "slant", "rotate", "stroke", "elastic",
                 "blur", "background", "ruled", "ink", "noise", "jpeg"]
ALL_ON = SynthParams(**{f"{name}_p": 1.0 for name in AUGMENTATIONS})


@pytest.fixture(scope="module")
def font() -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=48)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_line_has_exact_height_ink_and_paper(font):
    img = render_line("Hello world", font, rng(0), height=64)
    assert img.dtype == np.uint8 and img.ndim == 2
    assert img.shape[0] == 64 and img.shape[1] > 64
    assert img.min() < 100, "no ink"
    assert np.median(img) > 150, "paper should dominate"


@pytest.mark.parametrize("height", [24, 48, 97])
def test_height_is_exact_with_every_augmentation(font, height):
    for seed in range(3):
        img = render_line(TEXT, font, rng(seed), height=height, params=ALL_ON)
        assert img.shape[0] == height
        assert img.min() < img.max()


def test_width_grows_with_text_length(font):
    widths = [render_line(t, font, rng(1), 64, SynthParams.none()).shape[1]
              for t in ("ab", "ab cd ef", "ab cd ef gh ij kl mn", TEXT + " " + TEXT)]
    assert widths == sorted(widths) and len(set(widths)) == len(widths)


def test_same_seed_same_image_other_seed_other_image(font):
    a = render_line(TEXT, font, rng(7), 64)
    b = render_line(TEXT, font, rng(7), 64)
    c = render_line(TEXT, font, rng(8), 64)
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_no_augmentation_is_black_on_white(font):
    img = render_line(TEXT, font, rng(0), 64, SynthParams.none())
    assert img.max() == 255 and img.min() == 0


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_each_augmentation_alone_changes_the_image(font, name):
    base = render_line(TEXT, font, rng(3), 64, SynthParams.none())
    aug = render_line(TEXT, font, rng(3), 64, SynthParams.only(name))
    assert base.shape != aug.shape or not np.array_equal(base, aug)


@pytest.mark.parametrize("thicken", [0.0, 1.0])
def test_stroke_thins_and_thickens(font, thicken):
    params = SynthParams.none()
    base = render_line(TEXT, font, rng(2), 64, params)
    from dataclasses import replace

    aug = render_line(TEXT, font, rng(2), 64, replace(params, stroke_p=1.0, stroke_thicken_p=thicken))
    assert base.shape == aug.shape  # geometry untouched by the pen width
    ink_base, ink_aug = int((base < 128).sum()), int((aug < 128).sum())
    assert (ink_aug > ink_base) if thicken else (ink_aug < ink_base)


def test_unknown_augmentation_name_is_rejected():
    with pytest.raises(ValueError):
        SynthParams.only("sparkles")


def test_empty_text_is_rejected(font):
    with pytest.raises(ValueError):
        render_line("   ", font, rng(0))


def test_list_fonts(tmp_path):
    for name in ("b.WOFF", "a.ttf", "notes.txt", "sub/c.otf", "d.woff2"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert [p.relative_to(tmp_path).as_posix() for p in list_fonts(tmp_path)] == \
        ["a.ttf", "b.WOFF", "d.woff2", "sub/c.otf"]
    assert list_fonts(None) == []
    with pytest.raises(InputError):
        list_fonts(tmp_path / "missing")


def test_font_bank_falls_back_to_pillow_font_and_checks_coverage(tmp_path):
    bank = FontBank.from_dir(None)
    assert bank.names == [DEFAULT_FONT_NAME]
    assert FontBank.from_dir(tmp_path).names == [DEFAULT_FONT_NAME]  # empty folder
    assert bank.get(0, 48) is bank.get(DEFAULT_FONT_NAME, 48)  # cached
    assert bank.can_render(0, "Plain ASCII, 123!")
    assert not bank.can_render(0, "déjà")  # Aileron has no accents: .notdef boxes
    assert not bank.can_render(bank.get(0, 32), "\u4e2d")


def test_synth_lines_skips_unrenderable_texts_and_is_deterministic():
    texts = ["déjà vu", "  plain   text  ", "more plain text"]
    first = list(synth_lines(texts, None, 4, seed=5, height=40))
    again = list(synth_lines(texts, None, 4, seed=5, height=40))
    assert len(first) == 4
    assert {text for _, text, _ in first} <= {"plain text", "more plain text"}
    assert all(name == DEFAULT_FONT_NAME and img.shape[0] == 40 for img, _, name in first)
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(first, again))
    other = list(synth_lines(texts, None, 4, seed=6, height=40))
    assert any(a[0].shape != b[0].shape or not np.array_equal(a[0], b[0]) for a, b in zip(first, other))
    with pytest.raises(DataError):
        list(synth_lines(["déjà"], None, 1, seed=0))


def _paragraphs(path: Path) -> list[str]:
    return [" ".join(unicodedata.normalize("NFC", line).split()) for line in path.read_text("utf-8").splitlines()]


def test_text_snippets_bounds_and_word_boundaries(tmp_path):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split()
    r = np.random.default_rng(0)
    paragraphs = [" ".join(r.choice(words, size=int(r.integers(1, 40)))) for _ in range(60)]
    paragraphs[3] = "Cafe\u0301   cre\u0300me\tbru\u0302le\u0301e  " + paragraphs[3]  # NFD + messy spaces
    paragraphs[5] = "x" * 90 + " " + paragraphs[5]  # a word too long for any snippet
    path = tmp_path / "text.txt"
    path.write_text("\n".join(paragraphs) + "\n\n", encoding="utf-8")
    snippets = text_snippets(path, np.random.default_rng(1), min_chars=10, max_chars=40)
    assert len(snippets) > 20
    normalized = [" " + p + " " for p in _paragraphs(path)]
    for s in snippets:
        assert 10 <= len(s) <= 40
        assert s == unicodedata.normalize("NFC", s) and "  " not in s and s == s.strip()
        assert any(" " + s + " " in p for p in normalized), s  # whole words, contiguous
    assert any(s.startswith("Café crème brûlée") for s in snippets)
    assert text_snippets(path, np.random.default_rng(1), 10, 40, limit=5) == snippets[:5]


def test_write_synth_dataset_writes_pairs_and_appends(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("one two three four five six seven eight nine ten\nHello there, general reader.\n",
                    encoding="utf-8")
    out = tmp_path / "synth"
    assert write_synth_dataset(out, None, text, 3, seed=1, height=32, progress=False) == 3
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(first) == [f"synth_00000{i}.{ext}" for i in (1, 2, 3) for ext in ("gt.txt", "png")]
    source = " ".join(text.read_text("utf-8").split())
    for i in (1, 2, 3):
        gt = (out / f"synth_00000{i}.gt.txt").read_text("utf-8")
        assert gt.endswith("\n") and gt.strip() in source and len(gt.strip()) >= 5
        img = cv2.imread(str(out / f"synth_00000{i}.png"), cv2.IMREAD_UNCHANGED)
        assert img.ndim == 2 and img.shape[0] == 32

    assert write_synth_dataset(out, None, text, 2, seed=1, height=32, progress=False) == 2
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(after) == 10
    assert all(after[name] == data for name, data in first.items())  # nothing overwritten
    assert (out / "synth_000005.gt.txt").exists()
    # Same seed, later indices: the appended lines are new renders, not copies of the first.
    assert after["synth_000004.png"] != first["synth_000001.png"]
