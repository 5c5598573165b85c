"""CTC decoding of per-frame log-probabilities into text, confidences and positions."""
from __future__ import annotations

import numpy as np

from scriptio.decode import kenlm_words
from scriptio.decode.align import aligned_spans
from scriptio.decode.beam import DEFAULT_MIN_LOGPROB, prefix_beam_search
from scriptio.lm.scorer import make_scorer
from scriptio.text.codec import BLANK, Alphabet
from scriptio.types import CharSpan, LineResult, WordResult


def greedy_path(logprobs: np.ndarray) -> np.ndarray:
    """Best class per frame; logprobs is (T, C) for one line."""
    return logprobs.argmax(axis=1)


def decode_greedy(logprobs: np.ndarray, alphabet: Alphabet, frame_width: float = 1.0) -> LineResult:
    """Best-path decoding: collapse repeats, drop blanks.

    A character's confidence is its best frame's posterior; its x range spans the frames that
    emitted it, times `frame_width` (the network's horizontal downsampling in input pixels).
    """
    if logprobs.shape[0] == 0:
        return LineResult(text="", confidence=1.0)
    path = greedy_path(logprobs)
    probs = np.exp(logprobs[np.arange(len(path)), path])
    spans: list[CharSpan] = []
    previous = BLANK
    for t, label in enumerate(path):
        label = int(label)
        if label != BLANK and label == previous:
            span = spans[-1]
            span.confidence = max(span.confidence, float(probs[t]))
            span.x1 = (t + 1) * frame_width
        elif label != BLANK:
            spans.append(CharSpan(alphabet.chars[label - 1], float(probs[t]), t * frame_width,
                                  (t + 1) * frame_width))
        previous = label
    return build_result(spans)


def build_result(spans: list[CharSpan]) -> LineResult:
    """Assemble text, word boxes and confidences from character spans."""
    text = "".join(span.char for span in spans)
    words: list[WordResult] = []
    current: list[CharSpan] = []
    for span in spans + [CharSpan(" ", 1.0, 0.0, 0.0)]:
        if span.char == " ":
            if current:
                words.append(WordResult("".join(s.char for s in current),
                                        float(min(s.confidence for s in current)),
                                        current[0].x0, current[-1].x1))
            current = []
        else:
            current.append(span)
    confidence = float(np.mean([s.confidence for s in spans])) if spans else 1.0
    return LineResult(text=text.strip(), confidence=confidence, chars=spans, words=words)


def ctc(logprobs: np.ndarray, alphabet: Alphabet, *, beam: int = 1, lm=None, lexicon=None,
        lm_weight: float = 0.0, word_bonus: float = 0.0, frame_width: float = 1.0,
        nbest: int | None = None, min_logprob: float = DEFAULT_MIN_LOGPROB,
        top_k: int | None = None) -> list[LineResult]:
    """The decoder contract: n-best hypotheses for one line, best first.

    beam=1 without LM or lexicon is greedy: one result, scored by its best path's log-probability.
    A word-only model read from an ARPA file goes to pyctcdecode + KenLM when both are installed
    (`decode.kenlm_words`). Otherwise a CTC prefix beam search (`decode.beam`) fused with `lm` (a character or word
    `NgramModel`, a `HybridModel` or any `LanguageScorer`) and/or restricted to `lexicon`
    returns up to `nbest` (default: `beam`) results whose `score` is optical + lm_weight * LM +
    word_bonus * units in natural logs; their character spans come from a forced alignment.
    """
    if beam <= 1 and lm is None and lexicon is None:
        result = decode_greedy(logprobs, alphabet, frame_width)
        result.score = float(logprobs.max(axis=1).sum()) if logprobs.shape[0] else 0.0
        return [result]
    if kenlm_words.usable_for(lm, lexicon):  # word-only ARPA: pyctcdecode reads it better
        found = kenlm_words.decode_words(logprobs, alphabet, lm, beam=beam, lm_weight=lm_weight,
                                         word_bonus=word_bonus, nbest=nbest or beam)
        spans = aligned_spans(logprobs, [alphabet.encode(text) for text, _ in found], alphabet, frame_width)
        results = [build_result(chars) for chars in spans]
        for result, (_, score) in zip(results, found):
            result.score = score
        return results
    hypotheses = prefix_beam_search(logprobs, alphabet, beam=beam, scorer=make_scorer(lm, lexicon),
                                    lm_weight=lm_weight, word_bonus=word_bonus,
                                    min_logprob=min_logprob, top_k=top_k, nbest=nbest)
    spans = aligned_spans(logprobs, [h.labels for h in hypotheses], alphabet, frame_width)
    results = []
    for hypothesis, chars in zip(hypotheses, spans):
        result = build_result(chars)
        result.score = hypothesis.score
        results.append(result)
    return results
