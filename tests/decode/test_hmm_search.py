"""The lexicon decoder finds known word sequences on hand-made emissions, and the language model
decides between words the emissions cannot tell apart."""
from __future__ import annotations

import numpy as np

from scriptio.decode.hmm_search import BigramTable, SearchOptions, UnitNetwork, search
from scriptio.lm import build_lm

CHARS = ["a", "b", "c", "d"]          # one HMM state each; state 4 is the space
SPACE = 4
TRANSITIONS = np.log(np.tile([0.5, 0.45, 0.05], (5, 1)))


def emissions_for(plan: str, frames_per_symbol: int = 3, blur: dict[int, list[int]] | None = None) -> np.ndarray:
    """Frames that spell `plan` (a character per symbol, '_' for a gap): the intended state scores
    log 0.9, the others log 0.02; `blur` gives symbols whose frames also fit other states."""
    rows = []
    for position, symbol in enumerate(plan):
        state = SPACE if symbol == "_" else CHARS.index(symbol)
        row = np.full(5, np.log(0.02))
        row[state] = np.log(0.9)
        for other in (blur or {}).get(position, []):
            row[other] = np.log(0.9)
        rows += [row] * frames_per_symbol
    return np.array(rows)


def network(words: list[str]) -> UnitNetwork:
    return UnitNetwork.build(words, [np.array([CHARS.index(c) for c in word]) for word in words])


def decoded(words, result) -> str:
    sequence, _ = result
    return "".join((" " if gap else "") + words[unit] for unit, gap in sequence)


def test_finds_the_word_sequence_with_its_gaps():
    words = ["ab", "ba", "cab", "c", "dad"]
    result = search(emissions_for("cab_ba_dad"), TRANSITIONS, network(words), BigramTable.uniform(len(words)), SPACE)
    assert decoded(words, result) == "cab ba dad"
    touching = search(emissions_for("cabba"), TRANSITIONS, network(words), BigramTable.uniform(len(words)), SPACE)
    assert touching[0] == [(2, False), (1, False)]          # cab, then ba with no gap between


def test_the_language_model_decides_what_the_emissions_leave_open():
    words = ["ab", "db", "ca"]
    # the first letter looks like both a and d: "ab" or "db" after "ca"
    blurred = emissions_for("ca_ab", blur={3: [CHARS.index("d")]})
    texts = ["ca ab"] * 20 + ["ca db"] * 1 + ["db"] * 30
    lm = build_lm(texts, "word", 2)
    table = BigramTable.from_model(lm, words)
    options = SearchOptions(lm_scale=1.0)
    assert decoded(words, search(blurred, TRANSITIONS, network(words), table, SPACE, options)) == "ca ab"
    flipped = build_lm(["ca db"] * 20 + ["ca ab"] + ["ab"] * 30, "word", 2)
    table = BigramTable.from_model(flipped, words)
    assert decoded(words, search(blurred, TRANSITIONS, network(words), table, SPACE, options)) == "ca db"


def test_character_loop_reads_words_outside_any_lexicon():
    units = CHARS + [" "]
    chains = [np.array([i]) for i in range(4)] + [np.array([SPACE])]
    loop = UnitNetwork.build(units, chains)
    result = search(emissions_for("bad_cab"), TRANSITIONS, loop, BigramTable.uniform(len(units)), None,
                    SearchOptions(optional_space=False))
    assert decoded(units, result) == "bad cab"
