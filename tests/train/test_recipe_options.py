"""The default recipe's fine-tuning options: packing switched on, per-set weights, refusals."""
import json
from pathlib import Path

import pytest

from scriptio.models.recognizer import load_recognizer
from scriptio.train.default_recipe import main
from tests.conftest import write_synthetic_folder


def _shared_with_one_set(root: Path) -> Path:
    """A ../shared look-alike whose only set, hooker, has synthetic train and val lines."""
    folder = root / "data" / "htr" / "hooker"
    texts = write_synthetic_folder(folder / "lines", 6, seed=3)
    rows = [{"id": f"l{i}", "image": f"lines/line{i:04d}.png", "text": text, "split": "val" if i >= 4 else "train"}
            for i, text in enumerate(texts)]
    (folder / "lines.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root


def test_fine_tuning_can_switch_on_packing_and_weight_a_set(tmp_path, tiny_model_path, capsys):
    shared = _shared_with_one_set(tmp_path / "shared")
    out = tmp_path / "run"
    main(["--shared", str(shared), "--init", str(tiny_model_path), "--out", str(out), "--epochs", "1",
          "--threads", "1", "--arch", '{"packed": true, "end_margin": 8}', "--weights", '{"hooker": 2}'])
    model = load_recognizer(out / "best.safetensors")
    assert (model.network.config.packed, model.network.config.end_margin) == (True, 8)
    assert model.metadata["training"]["sources"] == [{"name": "hooker", "lines": 4, "weight": 2.0}]
    assert model.metadata["fine_tuned_from"]["model"] == str(tiny_model_path)


@pytest.mark.parametrize("option, value, message", [
    ("--arch", '{"hidden": 64}', "a fine-tuned model keeps its shape"),
    ("--weights", '{"hookr": 2}', "--weights names no training set: hookr"),
    ("--init", "missing.safetensors", "missing.safetensors: no such model file"),
])
def test_fine_tuning_refuses_options_it_cannot_honour(tmp_path, tiny_model_path, capsys, option, value, message):
    shared = _shared_with_one_set(tmp_path / "shared")
    with pytest.raises(SystemExit) as stop:
        main(["--shared", str(shared), "--init", str(tiny_model_path), "--out", str(tmp_path / "run"),
              "--epochs", "1", "--threads", "1", option, value])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run" / "best.safetensors").exists()


def test_recipe_without_any_set_names_the_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--shared", str(tmp_path), "--out", str(tmp_path / "run"), "--epochs", "1"])
    assert stop.value.code == 2
    assert f"{tmp_path / 'data' / 'htr'} holds none of the sets" in capsys.readouterr().err


def test_width_normalization_is_added_to_a_packed_fine_tune(tmp_path, tiny_model_path):
    from scriptio.data.packed import read_pack
    from scriptio.image.normalize import DEFAULT_STEPS
    from scriptio.image.width import normalize_width
    from scriptio.train.pack import main as pack

    shared = _shared_with_one_set(tmp_path / "shared")
    height = load_recognizer(tiny_model_path).height
    pack(["--shared", str(shared), "--out", str(tmp_path / "lines.tar"), "--height", str(height)])
    plain = read_pack(tmp_path / "lines.tar", height, DEFAULT_STEPS)["hooker/train"].images
    widened = read_pack(tmp_path / "lines.tar", height, [*DEFAULT_STEPS, "width"])["hooker/train"].images
    assert [w.shape for w in widened] == [normalize_width(p)[0].shape for p in plain]
    out = tmp_path / "run"
    main(["--packed", str(tmp_path / "lines.tar"), "--init", str(tiny_model_path), "--out", str(out),
          "--epochs", "1", "--threads", "1", "--width-normalization"])
    assert load_recognizer(out / "best.safetensors").steps == (*DEFAULT_STEPS, "width")


def test_a_pack_normalized_otherwise_than_the_model_wants_is_refused(tmp_path, tiny_model_path):
    from scriptio.data.packed import read_pack
    from scriptio.errors import FormatError
    from scriptio.train.pack import main as pack

    shared = _shared_with_one_set(tmp_path / "shared")
    pack(["--shared", str(shared), "--out", str(tmp_path / "lines.tar"), "--height", "32"])
    with pytest.raises(FormatError, match="the model wants"):
        read_pack(tmp_path / "lines.tar", 32, ["mask", "contrast", "slant", "trim", "resize"])
    with pytest.raises(FormatError, match="the model wants"):  # an older model's polygon mask
        read_pack(tmp_path / "lines.tar", 32, ["mask", "contrast", "trim", "resize"])


def _batch_norm_buffers_and_first_conv(model_path: Path) -> tuple[dict, "torch.Tensor"]:
    import torch

    network = load_recognizer(model_path).network
    buffers = {name: value.clone() for name, value in network.named_buffers() if "running" in name}
    first_conv = next(m.weight for m in network.modules() if isinstance(m, torch.nn.Conv2d)).detach().clone()
    return buffers, first_conv


@pytest.mark.parametrize("freeze", [True, False])
def test_freeze_norm_keeps_the_initial_models_statistics_while_weights_learn(tmp_path, tiny_model_path, freeze):
    import torch

    shared = _shared_with_one_set(tmp_path / "shared")
    out = tmp_path / "run"
    main(["--shared", str(shared), "--init", str(tiny_model_path), "--out", str(out), "--epochs", "1",
          "--threads", "1", "--lr", "1e-2", *(["--freeze-norm"] if freeze else [])])
    before, conv_before = _batch_norm_buffers_and_first_conv(tiny_model_path)
    after, conv_after = _batch_norm_buffers_and_first_conv(out / "best.safetensors")
    assert before and before.keys() == after.keys()
    assert not torch.equal(conv_before, conv_after)
    same = all(torch.equal(before[name], after[name]) for name in before)
    assert same == freeze


def test_freeze_norm_needs_a_model_to_start_from(tmp_path, capsys):
    shared = _shared_with_one_set(tmp_path / "shared")
    with pytest.raises(SystemExit) as stop:
        main(["--shared", str(shared), "--out", str(tmp_path / "run"), "--epochs", "1", "--freeze-norm"])
    assert stop.value.code == 2
    assert "--freeze-norm keeps a trained model's batch-norm statistics" in capsys.readouterr().err
