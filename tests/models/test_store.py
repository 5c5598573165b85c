import numpy as np
import pytest

from scriptio.errors import ModelError
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import read_model_file
from tests.conftest import write_synthetic_folder
from tests.glyphs import draw_text


def test_model_file_rebuilds_the_same_recognizer(tiny_model_path, tmp_path):
    first = load_recognizer(tiny_model_path)
    again_path = tmp_path / "again.safetensors"
    first.save(again_path, {"val_cer": {"x": 0.5}})
    second = load_recognizer(again_path)
    lines = [np.full((32, 60), 255, np.uint8), np.random.default_rng(0).integers(0, 255, (32, 90), dtype=np.uint8)]
    a, _ = first.posteriors(lines)
    b, _ = second.posteriors(lines)
    assert np.allclose(a.numpy(), b.numpy())
    _, metadata = read_model_file(again_path)
    assert metadata["val_cer"] == {"x": 0.5}
    assert metadata["preprocessing"]["height"] == 32
    assert metadata["alphabet"]["chars"] == first.alphabet.chars


def test_recognize_returns_results_in_input_order(glyph_model_path):
    """Lines are batched by width (here 232, 40 and 128 px wide: sorted, not in input order) and every result
    must still come back to its own line."""
    recognizer = load_recognizer(glyph_model_path)
    texts = ["dog ran to tea", "a", "the cat"]
    lines = [draw_text(text, trailing=trailing) for text, trailing in zip(texts, (60, 24, 40))]
    widths = [line.shape[1] for line in lines]
    assert sorted(widths) != widths
    results = recognizer.recognize(lines, batch_size=2)
    assert [result.text for result in results] == texts
    for line, result in zip(lines, results):
        assert "".join(c.char for c in result.chars) == result.text
        assert 0 <= result.chars[0].x0 and result.chars[-1].x1 <= line.shape[1] - 24  # not in the blank tail


def test_non_model_files_raise_model_error(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="bad.safetensors"):
        load_recognizer(bad)
    with pytest.raises(ModelError, match="no such model"):
        load_recognizer(tmp_path / "absent.safetensors")
