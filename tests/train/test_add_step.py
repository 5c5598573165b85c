"""Adding a normalized-line step to a trained model, without retraining."""
import numpy as np

from scriptio.models.recognizer import load_recognizer
from scriptio.train.add_step import main


def dense_line() -> np.ndarray:
    line = np.full((64, 500), 255, np.uint8)
    line[20:44, 10:490:4] = 0  # strokes 4 px apart: denser than any target
    return line


def test_added_width_step_changes_reading_not_weights(tmp_path, tiny_model_path, capsys):
    out = tmp_path / "wide.safetensors"
    assert main([str(tiny_model_path), str(out), "--step", "width"]) == 0
    before, after = load_recognizer(tiny_model_path), load_recognizer(out)
    assert after.steps == (*before.steps, "width")
    assert after.metadata["steps_added_after_training"] == ["width"]
    assert after.normalize(dense_line()).shape[1] > before.normalize(dense_line()).shape[1]
    for key, value in before.network.state_dict().items():
        assert np.array_equal(value.numpy(), after.network.state_dict()[key].numpy())


def test_adding_a_step_twice_or_over_a_file_is_refused(tmp_path, tiny_model_path, capsys):
    out = tmp_path / "wide.safetensors"
    main([str(tiny_model_path), str(out), "--step", "width"])
    again = tmp_path / "again.safetensors"
    assert main([str(out), str(again), "--step", "width"]) == 2
    assert "already normalizes lines with 'width'" in capsys.readouterr().err
    assert not again.exists()
    written = out.read_bytes()
    assert main([str(tiny_model_path), str(out), "--step", "width"]) == 2
    assert f"{out} exists" in capsys.readouterr().err
    assert out.read_bytes() == written
