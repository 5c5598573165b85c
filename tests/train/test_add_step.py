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



def model_with_steps(path, steps):
    from scriptio.nets.crnn import CRNNConfig
    from scriptio.train.setup import new_crnn_recognizer

    config = CRNNConfig(height=32, channels=(8, 8), pools=((2, 2), (2, 2)), hidden=8, layers=1)
    new_crnn_recognizer(["abc "], config, steps=steps).save(path, {"val_cer": {}})
    return path


def test_stroke_mask_takes_the_place_of_mask(tmp_path, capsys):
    older = model_with_steps(tmp_path / "older.safetensors", ("mask", "contrast", "trim", "resize"))
    out = tmp_path / "strokes.safetensors"
    assert main([str(older), str(out), "--step", "stroke_mask"]) == 0
    assert load_recognizer(out).steps == ("stroke_mask", "contrast", "trim", "resize")
    assert load_recognizer(out).metadata["steps_added_after_training"] == ["stroke_mask"]
    again = tmp_path / "again.safetensors"
    assert main([str(out), str(again), "--step", "stroke_mask"]) == 2
    assert "already normalizes lines with 'stroke_mask'" in capsys.readouterr().err
    unmasked = model_with_steps(tmp_path / "unmasked.safetensors", ("contrast", "trim", "resize"))
    assert main([str(unmasked), str(again), "--step", "stroke_mask"]) == 2
    assert "no 'mask' step for 'stroke_mask' to replace" in capsys.readouterr().err
    assert not again.exists()
