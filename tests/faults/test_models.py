"""Model files with malformed metadata, and language models that do not fit the model's
alphabet: a ModelError / InputError naming the file, or a one-line warning."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from scriptio import api
from scriptio.errors import InputError, InputWarning, ModelError
from scriptio.lm import build_lm, write_arpa
from tests.faults.conftest import assert_clean, assert_one_error, invoke, lines_starting


def with_metadata(source: Path, target: Path, change) -> Path:
    """A copy of a model file whose scriptio metadata is `change(metadata)` (JSON-encoded)."""
    with safe_open(str(source), framework="pt") as handle:
        metadata = json.loads(handle.metadata()["scriptio"])
    save_file(load_file(str(source)), str(target), metadata={"scriptio": json.dumps(change(metadata))})
    return target


@pytest.mark.parametrize("name,change,needle", [
    ("version_string", lambda m: dict(m, format_version="1"), "format_version"),
    ("version_float", lambda m: dict(m, format_version=1.5), "format_version"),
    ("version_list", lambda m: dict(m, format_version=[1]), "format_version"),
    ("not_an_object", lambda m: [m], "not an object"),
    ("kind_list", lambda m: dict(m, kind=["ctc"]), "kind"),
    ("alphabet_string", lambda m: dict(m, alphabet="abc"), "does not match"),
    ("preprocessing_null", lambda m: dict(m, preprocessing=None), "does not match"),
])
def test_malformed_metadata_is_a_model_error_naming_the_file(name, change, needle, tiny_model_path, tmp_path):
    path = with_metadata(tiny_model_path, tmp_path / f"{name}.safetensors", change)
    with pytest.raises(ModelError, match=needle) as caught:
        api.load_model(path)
    assert str(path) in str(caught.value)


def test_malformed_metadata_on_the_command_line_is_one_line(tiny_model_path, line_folder, tmp_path):
    path = with_metadata(tiny_model_path, tmp_path / "odd.safetensors", lambda m: dict(m, format_version="one"))
    result = invoke("read", "--level", "line", "--model", path, line_folder)
    assert_one_error(result, str(path), "format_version")


def arpa(tmp_path: Path, name: str, text: list[str]) -> Path:
    path = tmp_path / name
    write_arpa(build_lm(text, "char", 3), path)
    return path


def test_lm_for_another_script_is_refused_naming_it(tiny_model_path, line_folder, tmp_path):
    greek = arpa(tmp_path, "greek.arpa", ["αβγ δεζ ηθι", "κλμ νξο πρσ"])
    result = invoke("read", "--level", "line", "--model", tiny_model_path, "--lm", greek, line_folder)
    assert_one_error(result, str(greek), "knows none of the", "model's script")
    evaluated = invoke("eval", "--model", tiny_model_path, "--lm", greek, line_folder)
    assert_one_error(evaluated, str(greek), "knows none of the")


def test_lm_knowing_few_of_the_models_characters_is_a_warning(tiny_model_path, line_folder, tmp_path):
    few = arpa(tmp_path, "few.arpa", ["the the", "ηθ the"])  # t, h, e: 3 of the model's 12 letters
    recognizer = api.load_model(tiny_model_path)
    with pytest.warns(InputWarning, match="knows only 3 of the"):
        api.check_language_model(recognizer, api.build_decoder(lm=str(few)), str(few))
    result = invoke("read", "--level", "line", "--model", tiny_model_path, "--lm", few, line_folder)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    notices = lines_starting(result, "warning:")
    assert len(notices) == 1 and str(few) in notices[0] and "knows only 3" in notices[0]


def test_lm_sharing_the_models_characters_passes_quietly(tiny_model_path, tmp_path):
    good = arpa(tmp_path, "good.arpa", ["the cat sat on a mat", "dog ran to tea ten net eat ate"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoder = api.build_decoder(lm=str(good))
        assert api.check_language_model(api.load_model(tiny_model_path), decoder, str(good)) is None
    assert decoder.lm is not None and decoder.beam > 1   # the LM is used, not dropped to pass quietly


def test_refusal_is_an_input_error(tiny_model_path, tmp_path):
    greek = arpa(tmp_path, "greek.arpa", ["αβγ δεζ"])
    with pytest.raises(InputError, match="greek.arpa"):
        api.check_language_model(api.load_model(tiny_model_path), api.build_decoder(lm=str(greek)), str(greek))
