"""Adding a normalized-line step to a trained model, without retraining."""
import numpy as np

from scriptio.models.recognizer import load_recognizer
from typer.testing import CliRunner

from scriptio.cli import app


def model_tool(*args) -> tuple[int, str]:
    """Exit code and output of `scriptio model ARGS`."""
    result = CliRunner().invoke(app, ["model", *map(str, args)])
    return result.exit_code, result.output


def dense_line() -> np.ndarray:
    line = np.full((64, 500), 255, np.uint8)
    line[20:44, 10:490:4] = 0  # strokes 4 px apart: denser than any target
    return line


def test_added_width_step_changes_reading_not_weights(tmp_path, tiny_model_path):
    out = tmp_path / "wide.safetensors"
    code, output = model_tool("add-step", tiny_model_path, out, "--step", "width")
    assert code == 0, output
    before, after = load_recognizer(tiny_model_path), load_recognizer(out)
    assert after.steps == (*before.steps, "width")
    assert after.metadata["steps_added_after_training"] == ["width"]
    assert after.normalize(dense_line()).shape[1] > before.normalize(dense_line()).shape[1]
    for key, value in before.network.state_dict().items():
        assert np.array_equal(value.numpy(), after.network.state_dict()[key].numpy())


def test_adding_a_step_twice_or_over_a_file_is_refused(tmp_path, tiny_model_path):
    out = tmp_path / "wide.safetensors"
    assert model_tool("add-step", tiny_model_path, out, "--step", "width")[0] == 0
    again = tmp_path / "again.safetensors"
    code, output = model_tool("add-step", out, again, "--step", "width")
    assert code == 2, output
    assert "already normalizes lines with 'width'" in output
    assert not again.exists()
    written = out.read_bytes()
    code, output = model_tool("add-step", tiny_model_path, out, "--step", "width")
    assert code == 2, output
    assert f"{out} exists" in output
    assert out.read_bytes() == written



def model_with_steps(path, steps):
    from scriptio.nets.crnn import CRNNConfig
    from scriptio.train.lines import new_recognizer as new_crnn_recognizer

    config = CRNNConfig(height=32, channels=(8, 8), pools=((2, 2), (2, 2)), hidden=8, layers=1)
    new_crnn_recognizer(["abc "], config, steps=steps).save(path, {"val_cer": {}})
    return path


def test_stroke_mask_takes_the_place_of_mask(tmp_path):
    older = model_with_steps(tmp_path / "older.safetensors", ("mask", "contrast", "trim", "resize"))
    out = tmp_path / "strokes.safetensors"
    code, output = model_tool("add-step", older, out, "--step", "stroke_mask")
    assert code == 0, output
    assert load_recognizer(out).steps == ("stroke_mask", "contrast", "trim", "resize")
    assert load_recognizer(out).metadata["steps_added_after_training"] == ["stroke_mask"]
    again = tmp_path / "again.safetensors"
    code, output = model_tool("add-step", out, again, "--step", "stroke_mask")
    assert code == 2, output
    assert "already normalizes lines with 'stroke_mask'" in output
    unmasked = model_with_steps(tmp_path / "unmasked.safetensors", ("contrast", "trim", "resize"))
    code, output = model_tool("add-step", unmasked, again, "--step", "stroke_mask")
    assert code == 2, output
    assert "no 'mask' step for 'stroke_mask' to replace" in output
    assert not again.exists()
