"""What decoders and users see of the language models: scorers that add up to the models' own
sentence scores (natural log) and count units as documented, their upper bounds, the character
sets that --lm checks, lexicon files and their errors, and ARPA files from other tools.
(Mutation testing of scriptio/lm found these behaviours unchecked.)"""
from __future__ import annotations

import math

import pytest

from scriptio.errors import FormatError, InputError
from scriptio.lm import HybridModel, Lexicon, build_lm, lm_characters, read_arpa, write_arpa
from scriptio.lm.arpa import guess_unit
from scriptio.lm.ngram import NgramModel
from scriptio.lm.scorer import CharScorer, HybridScorer, LexiconConstraint, WordScorer, make_scorer
from scriptio.lm.tokens import SPACE, word_tokens

LN10 = math.log(10.0)
TEXTS = ["the cat sat on the mat.", "a dog ran to the tea", "the cat ate the tea."]


def run(scorer, text: str) -> tuple[float, list[int], tuple[float, int]]:
    """Total natural-log score, units per character, and the final step's (score, units)."""
    state, total, units = scorer.initial(), 0.0, []
    for char in text:
        state, score, unit = scorer.advance(state, char)
        total, units = total + score, units + [unit]
    final = scorer.final(state)
    return total + final[0], units, final


def test_char_scorer_adds_up_to_the_models_sentence_score():
    model = build_lm(TEXTS, "char", 3)
    text = "the cat"
    total, units, final = run(CharScorer(model), text)
    tokens = [SPACE if c == " " else c for c in text]
    assert total == pytest.approx(model.score_sequence(tokens) * LN10)
    assert units == [1] * len(text) and final[1] == 0
    assert final[0] == pytest.approx(model.final(model.truncate(("<s>", *tokens))) * LN10)


def test_word_scorer_scores_words_when_they_end_and_punctuation_as_a_word():
    model = build_lm(TEXTS, "word", 2)
    total, units, final = run(WordScorer(model), "the cat.")
    assert total == pytest.approx(model.score_sequence(["the", "cat", "."]) * LN10)
    assert units == [0, 0, 0, 1, 0, 0, 0, 2] and final[1] == 0
    total, units, final = run(WordScorer(model), "the cat")
    assert total == pytest.approx(model.score_sequence(["the", "cat"]) * LN10)
    assert units == [0, 0, 0, 1, 0, 0, 0] and final[1] == 1


def test_word_scorer_without_a_model_only_counts_words():
    total, units, final = run(WordScorer(None), "a, b c")
    assert total == 0.0 and units == [0, 2, 0, 0, 1, 0] and final == (0.0, 1)
    assert WordScorer(None).initial() == ((), "")


def test_hybrid_scorer_adds_up_to_the_word_level_score():
    model = HybridModel.build(TEXTS, word_order=2, char_order=3, min_word_count=1)
    for text in ("the cat sat.", "the zebra ran"):   # in and out of the word vocabulary
        total, units, final = run(HybridScorer(model), text)
        assert total == pytest.approx(model.score_words(word_tokens(text)) * LN10)
        assert sum(units) + final[1] == len(word_tokens(text))


def test_upper_bounds_hold_and_say_how_many_units():
    char, word = build_lm(TEXTS, "char", 3), build_lm(TEXTS, "word", 2)
    assert CharScorer(char).max_step("x") == (0.0, 1)
    assert WordScorer(word).max_step("x") == (0.0, 0) and WordScorer(word).max_step(".") == (0.0, 2)
    hybrid = HybridScorer(HybridModel.build(TEXTS, word_order=2, char_order=3))
    assert hybrid.max_step("x") == (0.0, 0) and hybrid.max_step(" ") is None
    constrained = LexiconConstraint(CharScorer(char), Lexicon.from_words(["the"]))
    assert constrained.max_step("x") == (0.0, 1) and constrained.unit == "char"

    class NoBound:
        unit = "word"

    assert LexiconConstraint(NoBound(), Lexicon.from_words(["the"])).max_step("x") is None
    state = CharScorer(char).initial()
    assert all(CharScorer(char).advance(state, c)[1] <= 0.0 for c in "thez .")


def test_the_lexicon_rejects_unknown_prefixes_and_unfinished_words():
    scorer = make_scorer(build_lm(TEXTS, "word", 2), Lexicon.from_words(["the", "tea"]))
    state = scorer.initial()
    for char in "te":
        state, _, _ = scorer.advance(state, char)
    assert scorer.advance(state, "x") is None          # no word starts with "tex"
    assert scorer.final(state) is None                  # "te" is not a word
    assert scorer.advance(state, " ") is None
    state, _, _ = scorer.advance(state, "a")
    assert scorer.final(state) is not None and scorer.advance(state, ".")[2] == 2


def test_lm_characters_are_the_letters_of_the_vocabulary():
    chars, words = build_lm(["ab c"], "char", 2), build_lm(["xy z"], "word", 2)
    assert lm_characters(chars) == {"a", "b", "c"}
    assert lm_characters(words) == {"x", "y", "z"}
    hybrid = HybridModel(build_lm(["dog"], "word", 2), build_lm(["cat"], "char", 2))
    assert lm_characters(hybrid) == {"d", "o", "g", "c", "a", "t"}
    assert lm_characters(object()) is None
    opaque = HybridModel.__new__(HybridModel)   # a hybrid whose word model lists no vocabulary
    opaque.words, opaque.chars = object(), chars
    assert lm_characters(opaque) is None


def test_lexicons_are_case_sensitive_unless_asked():
    path_words = ["The", "cat"]
    assert "the" not in Lexicon.from_words(path_words) and "the" not in Lexicon({"The": 1})
    folded = Lexicon.from_words(path_words, ignore_case=True)
    assert "the" in folded and folded.words == ["cat", "the"]
    assert not folded.is_word_end(Lexicon.ROOT) and folded.is_word_end(folded.node("th")) is False


def test_lexicon_files_are_utf8_and_case_sensitive_by_default(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("Été\t2\nthe\n", encoding="utf-8")
    lexicon = Lexicon.from_file(path)
    assert lexicon.frequency("Été") == 2 and "été" not in lexicon and "the" in lexicon
    assert "été" in Lexicon.from_file(path, ignore_case=True)


def test_lexicon_file_errors_name_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(InputError) as error:
        Lexicon.from_file(missing)
    assert str(error.value) == f"{missing}: lexicon file not found"
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Été\n".encode("latin-1"))
    with pytest.raises(FormatError) as error:
        Lexicon.from_file(latin)
    assert str(error.value) == f"{latin}: not UTF-8 text (a lexicon is one word per line)"
    with pytest.raises(InputError) as error:
        Lexicon.from_file(tmp_path)
    assert str(error.value) == f"{tmp_path}: cannot read the lexicon (Is a directory)"
    counted = tmp_path / "counted.txt"
    counted.write_text("the\n\ncat\tmany\n", encoding="utf-8")
    with pytest.raises(FormatError) as error:
        Lexicon.from_file(counted)
    assert str(error.value) == (f"{counted}: line 3: count 'many' is not a whole number "
                                "(write `word<TAB>count` or just `word`)")


def arpa_without_header(unigrams: list[str]) -> str:
    lines = "\n".join(f"-1.0\t{token}" for token in unigrams)
    return f"\\data\\\nngram 1={len(unigrams)}\n\n\\1-grams:\n{lines}\n\n\\end\\\n"


@pytest.mark.parametrize("unigrams,unit", [(["<s>", "</s>", "<unk>", "a", "b", SPACE], "char"),
                                           (["<s>", "</s>", "the", "a"], "word"),
                                           (["<s>", "</s>", "cat", SPACE], "word")])
def test_arpa_files_from_other_tools_get_their_unit_from_the_tokens(tmp_path, unigrams, unit):
    path = tmp_path / "other.arpa"
    path.write_text(arpa_without_header(unigrams), encoding="utf-8")
    assert read_arpa(path).unit == unit


def test_guess_unit_looks_at_unigrams_only():
    assert guess_unit({("ab", "c"): -1.0, ("a",): -1.0}) == "char"
    assert guess_unit({("a", "b"): -1.0}) == "word"   # no unigram at all: not a character model


def test_arpa_errors_say_where_and_how_to_fix(tmp_path):
    path = tmp_path / "bad.arpa"
    path.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n\n\\end\\\n", encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_arpa(path)
    assert str(error.value) == (f"{path}: line 7: \\data\\ announces 2 1-grams but 1 are listed "
                                "(not a valid ARPA language model; rebuild it with `scriptio lm build`)")


def test_small_probabilities_are_written_in_lowercase_exponent_form(tmp_path):
    model = NgramModel(1, {("<s>",): -99.0, ("a",): -0.00000001234567891, ("</s>",): -0.5}, {}, unit="char")
    write_arpa(model, tmp_path / "tiny.arpa")
    text = (tmp_path / "tiny.arpa").read_text(encoding="utf-8")
    assert "-1.234568e-08\ta\n" in text and "\r" not in text
    assert read_arpa(tmp_path / "tiny.arpa").logprob((), "a") == pytest.approx(-1.234568e-08)


def test_perplexity_needs_sentences():
    model = build_lm(TEXTS, "word", 2)
    with pytest.raises(ValueError, match="^perplexity of no sentences$"):
        model.perplexity([])
    one = model.perplexity([["the"]])
    assert one == pytest.approx(10.0 ** (-model.score_sequence(["the"]) / 2))
    assert model.perplexity([[]]) == pytest.approx(10.0 ** (-model.final(model.initial_state())))


def test_score_sequence_without_bos_starts_from_no_context():
    model = build_lm(TEXTS, "word", 2)
    assert model.score_sequence(["the"], bos=False, eos=False) == pytest.approx(model.logprob((), "the"))
    assert model.score_sequence(["the"], eos=False) == pytest.approx(model.logprob(("<s>",), "the"))
    assert model.logprob((), "the") != pytest.approx(model.logprob(("<s>",), "the"))
