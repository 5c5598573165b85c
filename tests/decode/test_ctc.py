import numpy as np

from scriptio.decode.ctc import ctc, decode_greedy
from scriptio.text.codec import Alphabet


def posteriors(frames: list[dict[int, float]], classes: int) -> np.ndarray:
    """Frames given as {class: probability}; the rest spread evenly."""
    out = np.zeros((len(frames), classes))
    for t, frame in enumerate(frames):
        rest = (1.0 - sum(frame.values())) / (classes - len(frame))
        out[t] = rest
        for label, p in frame.items():
            out[t, label] = p
    return np.log(out)


ALPHABET = Alphabet([" ", "a", "l", "o"])  # labels: blank 0, ' ' 1, a 2, l 3, o 4


def test_greedy_collapses_repeats_and_keeps_blank_separated_doubles():
    # frames: a a blank l blank l o o  -> "allo"
    frames = [{2: .9}, {2: .8}, {0: .9}, {3: .7}, {0: .6}, {3: .95}, {4: .5}, {4: .9}]
    result = decode_greedy(posteriors(frames, 5), ALPHABET, frame_width=4)
    assert result.text == "allo"
    assert [c.char for c in result.chars] == ["a", "l", "l", "o"]
    # each char's confidence is its best frame; x range spans its frames times the stride
    assert [round(c.confidence, 2) for c in result.chars] == [0.9, 0.7, 0.95, 0.9]
    assert (result.chars[0].x0, result.chars[0].x1) == (0, 8)
    assert (result.chars[3].x0, result.chars[3].x1) == (24, 32)


def test_words_get_their_weakest_character_confidence_and_extent():
    frames = [{2: .9}, {1: .8}, {3: .6}, {0: .9}, {4: .7}]
    result = ctc(posteriors(frames, 5), ALPHABET, frame_width=1)[0]
    assert result.text == "a lo"
    assert [w.text for w in result.words] == ["a", "lo"]
    assert abs(result.words[1].confidence - 0.6) < 1e-6
    assert (result.words[1].x0, result.words[1].x1) == (2, 5)


def test_all_blank_gives_empty_text():
    frames = [{0: .99}] * 6
    assert decode_greedy(posteriors(frames, 5), ALPHABET).text == ""
