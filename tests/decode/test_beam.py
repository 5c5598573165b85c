"""CTC prefix beam search, alone and fused with character, word and hybrid language models."""
from __future__ import annotations

import math

import numpy as np
import pytest

import scriptio.decode.beam as beam_module
from scriptio.decode.beam import prefix_beam_search
from scriptio.decode.ctc import ctc, decode_greedy
from scriptio.lm import HybridModel, Lexicon, build_lm
from scriptio.lm.scorer import make_scorer
from scriptio.text.codec import Alphabet

ALPHABET = Alphabet(list(" abcehnorst"))
TEXTS = ["the cat sat on the mat", "the rat ate the cat", "then the cat sat", "the hat", "a cat, a rat",
         "the theatre", "they sat there", "the cats ate at ten"] * 5


def frames(spec: list[dict[str, float] | str], alphabet: Alphabet = ALPHABET) -> np.ndarray:
    """Each frame is {char: probability} ('_' is the blank) or one char at 0.9; the rest of the
    mass is spread evenly over the other classes."""
    out = np.zeros((len(spec), alphabet.num_classes))
    for t, frame in enumerate(spec):
        frame = {frame: 0.9} if isinstance(frame, str) else frame
        labels = {(0 if c == "_" else alphabet.index[c]): p for c, p in frame.items()}
        rest = alphabet.num_classes - len(labels)
        out[t] = (1.0 - sum(labels.values())) / rest if rest else 0.0
        for label, p in labels.items():
            out[t, label] = p
    return np.log(out)


def random_posteriors(seed: int, length: int = 30, sharpness: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, sharpness, size=(length, ALPHABET.num_classes))
    logits[:, 0] += sharpness
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@pytest.fixture(scope="module")
def char_lm():
    return build_lm(TEXTS, "char", 5)


# "t", blank, "b" slightly over "h", blank, "e": greedy reads "tbe"
TBE = frames(["t", "_", {"b": 0.5, "h": 0.4}, "_", "e", "_"])


def test_prefix_search_sums_the_paths_that_best_path_decoding_splits():
    two = Alphabet(["a", "b"])
    posteriors = frames([{"a": .5, "_": .3, "b": .2}, {"a": .3, "_": .3, "b": .4}], two)
    assert decode_greedy(posteriors, two).text == "ab"
    best = prefix_beam_search(posteriors, two, beam=5)[0]
    assert best.text == "a"
    assert best.optical == pytest.approx(math.log(.5 * .3 + .5 * .3 + .3 * .3))


def confident_posteriors(seed: int, length: int = 40) -> np.ndarray:
    """One clear winner per frame (blank half of the time), as a trained network gives."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1, size=(length, ALPHABET.num_classes))
    winners = np.where(rng.random(length) < 0.5, 0, rng.integers(1, ALPHABET.num_classes, length))
    logits[np.arange(length), winners] += 9
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("seed", range(6))
def test_beam_width_one_without_lm_equals_greedy_on_confident_posteriors(seed):
    posteriors = confident_posteriors(seed)
    assert np.exp(posteriors.max(axis=1)).min() > 0.9
    best = prefix_beam_search(posteriors, ALPHABET, beam=1)[0]
    assert best.text.strip() == decode_greedy(posteriors, ALPHABET).text  # LineResult text is stripped


@pytest.mark.parametrize("seed", range(4))
def test_lm_weight_zero_equals_plain_beam_search(char_lm, seed):
    posteriors = random_posteriors(seed)
    plain = prefix_beam_search(posteriors, ALPHABET, beam=8)
    fused = prefix_beam_search(posteriors, ALPHABET, beam=8, scorer=make_scorer(char_lm), lm_weight=0.0)
    assert [h.text for h in fused] == [h.text for h in plain]
    assert [h.score for h in fused] == pytest.approx([h.score for h in plain], abs=1e-12)
    assert all(h.lm < 0 for h in fused if h.text)  # the LM was asked, only not listened to


def test_char_lm_flips_a_close_greedy_reading(char_lm):
    assert decode_greedy(TBE, ALPHABET).text == "tbe"
    assert prefix_beam_search(TBE, ALPHABET, beam=5)[0].text == "tbe"
    best = prefix_beam_search(TBE, ALPHABET, beam=5, scorer=make_scorer(char_lm), lm_weight=1.0)[0]
    assert best.text == "the"
    assert best.score == pytest.approx(best.optical + best.lm)


def test_word_lm_lexicon_and_hybrid_also_fix_it():
    posteriors = frames(["t", "_", {"b": 0.5, "h": 0.4}, "_", "e", "_", " ", "c", "_", "a", "_", "t"])
    assert decode_greedy(posteriors, ALPHABET).text == "tbe cat"
    words = build_lm(TEXTS, "word", 2)
    assert ctc(posteriors, ALPHABET, beam=5, lm=words, lm_weight=1.0)[0].text == "the cat"
    hybrid = HybridModel.build(TEXTS, word_order=2, char_order=4)
    assert ctc(posteriors, ALPHABET, beam=5, lm=hybrid, lm_weight=1.0)[0].text == "the cat"
    lexicon = Lexicon.from_words(["the", "cat", "a"])
    results = ctc(posteriors, ALPHABET, beam=10, lexicon=lexicon)
    assert results[0].text == "the cat"
    assert all(word in lexicon for r in results for word in r.text.split())


def test_nbest_is_ordered_by_score_and_each_text_appears_once(char_lm):
    for scorer in (None, make_scorer(char_lm)):
        hypotheses = prefix_beam_search(random_posteriors(7), ALPHABET, beam=10, scorer=scorer,
                                        lm_weight=0.7, word_bonus=0.3)
        assert len(hypotheses) > 3
        scores = [h.score for h in hypotheses]
        assert scores == sorted(scores, reverse=True)
        assert len({" ".join(h.text.split()) for h in hypotheses}) == len(hypotheses)
        for h in hypotheses:
            assert h.score == pytest.approx(h.optical + 0.7 * h.lm + 0.3 * h.units)


@pytest.mark.parametrize("kind", ["char", "word", "hybrid", "lexicon"])
def test_skipping_hopeless_extensions_changes_no_result(monkeypatch, kind):
    lm = {"char": build_lm(TEXTS, "char", 4), "word": build_lm(TEXTS, "word", 2),
          "hybrid": HybridModel.build(TEXTS, word_order=2, char_order=3), "lexicon": None}[kind]
    lexicon = Lexicon.from_texts(TEXTS) if kind == "lexicon" else None
    for seed in range(3):
        posteriors = random_posteriors(seed, sharpness=2.0)
        options = dict(beam=6, scorer=make_scorer(lm, lexicon), lm_weight=0.8, word_bonus=0.5)
        fast = prefix_beam_search(posteriors, ALPHABET, **options)
        with monkeypatch.context() as patch:
            patch.setattr(beam_module, "label_headroom", lambda *args: [math.inf] * ALPHABET.num_classes)
            slow = prefix_beam_search(posteriors, ALPHABET, **options)
        assert [h.text for h in fast] == [h.text for h in slow]
        assert [h.score for h in fast] == pytest.approx([h.score for h in slow], abs=1e-9)


def test_ctc_contract_returns_scored_line_results_with_aligned_spans(char_lm):
    results = ctc(TBE, ALPHABET, beam=5, lm=char_lm, lm_weight=1.0, frame_width=4)
    assert results[0].text == "the"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    spans = [(c.char, c.x0, c.x1) for c in results[0].chars]
    assert spans == [("t", 0, 4), ("h", 8, 12), ("e", 16, 20)]
    assert results[0].chars[1].confidence == pytest.approx(0.4)
    assert results[0].confidence == pytest.approx((0.9 + 0.4 + 0.9) / 3)
    assert [w.text for w in results[0].words] == ["the"]
    # without an LM the beam's best spans are the greedy ones
    greedy = decode_greedy(TBE, ALPHABET, frame_width=4)
    beam = ctc(TBE, ALPHABET, beam=3, frame_width=4)[0]
    assert [(c.char, c.x0, c.x1, round(c.confidence, 6)) for c in beam.chars] == \
        [(c.char, c.x0, c.x1, round(c.confidence, 6)) for c in greedy.chars]
    assert ctc(TBE, ALPHABET, beam=3, nbest=2).__len__() == 2


def test_greedy_still_answers_beam_one_and_empty_lines(char_lm):
    greedy = ctc(TBE, ALPHABET)
    assert len(greedy) == 1 and greedy[0].text == "tbe"
    assert greedy[0].score == pytest.approx(float(TBE.max(axis=1).sum()))
    assert ctc(TBE, ALPHABET, beam=1, lm=char_lm, lm_weight=1.0)[0].text == "the"  # an LM means beam search
    empty = np.zeros((0, ALPHABET.num_classes))
    assert ctc(empty, ALPHABET, beam=4, lm=char_lm)[0].text == ""
    with pytest.raises(ValueError):
        prefix_beam_search(np.zeros((3, 4)), ALPHABET)
