"""CTC forced alignment: where on the line each character of a chosen text was written.

A beam search sums over many paths per text, so it knows no single position per character. For
each chosen text we take the most probable path that spells exactly that text (Viterbi over the
usual blank-interleaved CTC states: state 2k+1 is character k, even states are blanks) and read
each character's frames off it, which gives the same kind of spans as best-path decoding. The
n-best texts of a line are aligned together, one numpy pass over the frames for all of them.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scriptio.text.codec import Alphabet
from scriptio.types import CharSpan


def viterbi_paths(logprobs: np.ndarray, texts: Sequence[Sequence[int]]) -> list[np.ndarray | None]:
    """The best state per frame for each label sequence, or None where the line has too few
    frames to spell it."""
    frames = logprobs.shape[0]
    if frames == 0 or not texts:
        return [None] * len(texts)
    count = len(texts)
    states = 2 * max(len(t) for t in texts) + 1
    extended = np.zeros((count, states), dtype=np.int64)
    valid = np.zeros((count, states), dtype=bool)
    skip = np.full((count, states), -np.inf)  # 0 where state s may be entered from s-2
    for h, labels in enumerate(texts):
        n = 2 * len(labels) + 1
        extended[h, 1:n:2] = labels
        valid[h, :n] = True
        odd = np.arange(3, n, 2)
        skip[h, odd[extended[h, odd] != extended[h, odd - 2]]] = 0.0
    emit = np.where(valid[None], logprobs[:, extended], -np.inf)  # (T, H, S)
    candidates = np.full((3, count, states), -np.inf)
    back = np.zeros((frames, count, states), dtype=np.int8)
    delta = np.full((count, states), -np.inf)
    delta[:, :2] = emit[0, :, :2]
    for t in range(1, frames):
        candidates[0] = delta
        candidates[1, :, 1:] = delta[:, :-1]
        np.add(delta[:, :-2], skip[:, 2:], out=candidates[2, :, 2:])
        choice = candidates.argmax(axis=0)
        back[t] = choice
        delta = np.take_along_axis(candidates, choice[None], axis=0)[0] + emit[t]
    paths: list[np.ndarray | None] = []
    for h, labels in enumerate(texts):
        n = 2 * len(labels) + 1
        end = n - 1 if n == 1 or delta[h, n - 1] >= delta[h, n - 2] else n - 2
        if not np.isfinite(delta[h, end]):
            paths.append(None)
            continue
        path = np.empty(frames, dtype=np.int64)
        for t in range(frames - 1, -1, -1):
            path[t] = end
            end -= int(back[t, h, end])  # back is int8: keep `end` a Python int
        paths.append(path)
    return paths


def spans_from_path(logprobs: np.ndarray, labels: Sequence[int], path: np.ndarray | None,
                    alphabet: Alphabet, frame_width: float) -> list[CharSpan]:
    """Confidence = best posterior over a character's frames; x range = those frames times
    `frame_width`. Without a path (unspellable), characters are spread evenly."""
    count, frames = len(labels), logprobs.shape[0]
    if count == 0:
        return []
    label_array = np.asarray(labels, dtype=np.int64)
    if path is None:
        edges = np.linspace(0, frames, count + 1)
        lo = np.minimum(edges[:-1].astype(int), max(frames - 1, 0))
        hi = np.maximum(edges[1:].astype(int), lo + 1)
    else:
        states = 2 * np.arange(count) + 1  # the path's states never decrease
        lo = np.searchsorted(path, states, side="left")
        hi = np.searchsorted(path, states, side="right")
    spans = []
    for k, label in enumerate(label_array.tolist()):
        a, b = int(lo[k]), int(hi[k])
        confidence = float(np.exp(logprobs[a:b, label].max())) if b > a and a < frames else 0.0
        spans.append(CharSpan(alphabet.chars[label - 1], confidence, a * frame_width, b * frame_width))
    return spans


def aligned_spans(logprobs: np.ndarray, texts: Sequence[Sequence[int]], alphabet: Alphabet,
                  frame_width: float = 1.0) -> list[list[CharSpan]]:
    """Character spans of each label sequence in `texts` on the line."""
    paths = viterbi_paths(logprobs, texts)
    return [spans_from_path(logprobs, labels, path, alphabet, frame_width)
            for labels, path in zip(texts, paths)]

