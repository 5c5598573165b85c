import numpy as np
import pytest

from scriptio.errors import ModelError
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import read_model_file
from tests.conftest import write_synthetic_folder


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


def test_recognize_returns_results_in_input_order(tiny_model_path, tmp_path):
    recognizer = load_recognizer(tiny_model_path)
    lines = [np.full((32, w), 255, np.uint8) for w in (200, 40, 120)]
    results = recognizer.recognize(lines, batch_size=2)
    assert len(results) == 3
    for line, result in zip(lines, results):
        assert all(c.x1 <= line.shape[1] + 4 for c in result.chars)


def test_non_model_files_raise_model_error(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="bad.safetensors"):
        load_recognizer(bad)
    with pytest.raises(ModelError, match="no such model"):
        load_recognizer(tmp_path / "absent.safetensors")
