"""ARPA files: what is written reads back to the same model; malformed files say where."""
from __future__ import annotations

import random

import pytest

from scriptio.errors import FormatError, InputError
from scriptio.lm import build_lm, read_arpa, write_arpa
from scriptio.lm.tokens import BOS, EOS
from tests.conftest import parity_reference

TEXTS = ["the cat sat on the mat", "the dog ran to the cat.", "a cat ate the tea", "ten net eat ate",
         "she sells sea shells", "hot tea, cold cat"] * 3 + ["once upon a time"]


def queries(model, count=200, seed=0):
    rng = random.Random(seed)
    vocab = sorted(model.vocabulary)
    for _ in range(count):
        context = tuple(rng.choice(vocab) for _ in range(rng.randint(0, model.order)))
        yield (BOS, *context) if rng.random() < 0.3 else context, rng.choice(vocab)


@pytest.mark.parametrize("unit,order,prune,name", [("char", 5, (), "lm.arpa"), ("char", 6, (1, 2, 2), "lm.arpa.gz"),
                                                    ("word", 3, (), "lm.arpa"), ("word", 4, (2,), "lm.arpa")])
def test_written_model_reads_back_with_the_same_logprobs(tmp_path, unit, order, prune, name):
    model = build_lm(TEXTS, unit, order, prune)
    path = tmp_path / name
    write_arpa(model, path)
    loaded = read_arpa(path)
    assert (loaded.order, loaded.unit, loaded.counts()) == (model.order, unit, model.counts())
    for context, token in queries(model):
        assert loaded.logprob(context, token) == pytest.approx(model.logprob(context, token), abs=1e-4)
    tokens = model.tokenize(TEXTS[1])
    assert loaded.score_sequence(tokens) == pytest.approx(model.score_sequence(tokens), abs=1e-4)
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_file_layout_is_standard_arpa(tmp_path):
    path = tmp_path / "lm.arpa"
    write_arpa(build_lm(["ab", "ba"], "char", 2), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("\\data\\")
    assert lines[start + 1:start + 3] == ["ngram 1=5", "ngram 2=6"]
    assert "\\1-grams:" in lines and "\\2-grams:" in lines and lines[-1] == "\\end\\"
    bos = next(line for line in lines if line.split("\t")[1:2] == [BOS])
    assert bos.split("\t")[0] == "-99" and len(bos.split("\t")) == 3
    two_grams = lines[lines.index("\\2-grams:") + 1:lines.index("\\end\\") - 1]
    assert all(len(line.split("\t")) == 2 for line in two_grams)  # no backoff at the top order


HANDMADE = """\\data\\
ngram 1=5
ngram 2=2

\\1-grams:
-1.0\t<s>\t-0.5
-0.5\ta\t-0.25
-0.7\tb
-1.2\t</s>
-2.0\t<unk>

\\2-grams:
-0.1\t<s> a
-0.2\ta b

\\end\\
"""


def test_reads_other_tools_files_and_backs_off_by_the_book(tmp_path):
    path = tmp_path / "other.arpa"
    path.write_text(HANDMADE, encoding="utf-8")
    model = read_arpa(path)
    assert model.unit == "char"  # no scriptio header: guessed from one-character tokens
    assert model.logprob([BOS], "a") == pytest.approx(-0.1)
    assert model.logprob([BOS], "b") == pytest.approx(-0.5 + -0.7)
    assert model.logprob(["a"], "b") == pytest.approx(-0.2)
    assert model.logprob(["a"], EOS) == pytest.approx(-0.25 + -1.2)
    assert model.logprob(["b"], "a") == pytest.approx(-0.5)
    assert model.logprob(["b"], "zzz") == pytest.approx(-2.0)


@pytest.mark.parametrize("text,problem", [
    ("hello\n", "no \\data\\"),
    (HANDMADE.replace("ngram 2=2", "ngram 2=3"), "announces 3 2-grams"),
    (HANDMADE.replace("-0.2\ta b", "x\ta b"), "not a number"),
    (HANDMADE.replace("-0.2\ta b", "-0.2\ta b c d"), "a 2-gram line needs"),
    (HANDMADE.replace("\\end\\", ""), "expected \\end\\"),
    (HANDMADE.replace("\\2-grams:", "\\3-grams:"), "expected \\2-grams:"),
    (HANDMADE.replace("ngram 1=5", "ngram one=5"), "bad n-gram count"),
])
def test_malformed_files_raise_format_error_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "bad.arpa"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_arpa(path)
    assert str(path) in str(error.value) and problem in str(error.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_arpa(tmp_path / "missing.arpa")
    binary = tmp_path / "binary.arpa"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FormatError, match="UTF-8"):
        read_arpa(binary)


@pytest.mark.parametrize("unit,order", [("word", 3), ("char", 5)])
def test_kenlm_reads_our_arpa_with_the_same_scores(tmp_path, unit, order):
    """KenLM is the fast query path for models we build; it must agree with our own reader.
    (kenlm is optional: `pip install kenlm` compiles it; without it there is nothing to compare.)"""
    kenlm = parity_reference("kenlm")
    model = build_lm(TEXTS, unit, order, (1, 2))
    path = tmp_path / "lm.arpa"
    write_arpa(model, path)
    loaded = read_arpa(path)
    reference = kenlm.Model(str(path))
    assert reference.order == order
    for text in ["the cat sat on the mat", "a dog ate the hot tea", "unseen words here"]:
        tokens = model.tokenize(text)
        sentence = " ".join(tokens)  # KenLM splits on spaces; char tokens are spelled out
        ours = [loaded.logprob((BOS, *tokens[:i]), token) for i, token in enumerate(tokens + [EOS])]
        theirs = [score for score, _, _ in reference.full_scores(sentence, bos=True, eos=True)]
        assert ours == pytest.approx(theirs, abs=1e-4)
