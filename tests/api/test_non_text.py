"""Found lines that read as nothing, or as text the recognizer hardly believes, are flagged as not
writing: the page pipeline and the paragraph benchmark apply the same rule."""
from __future__ import annotations

from scriptio.api.pages import MIN_READ_CONFIDENCE, flag_non_text, reads_as_writing
from scriptio.types import Page, Region, TextLine


def test_what_reads_as_writing():
    assert reads_as_writing("ab", MIN_READ_CONFIDENCE)
    assert not reads_as_writing("ab", MIN_READ_CONFIDENCE - 0.01)
    assert not reads_as_writing("  ", 0.99)
    assert reads_as_writing("ab", None)                      # a reader that gives no confidence
    assert reads_as_writing("ab", 0.5, min_confidence=0.5) and not reads_as_writing("ab", 0.49, min_confidence=0.5)


def test_flagged_lines_keep_their_score():
    box = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0)]
    lines = [TextLine("a", box, text="word", confidence=0.9), TextLine("b", box, text="<><>", confidence=0.1),
             TextLine("c", box, text="", confidence=0.95)]
    page = flag_non_text(Page(None, 10, 5, [Region("r1", box, lines)]))
    assert [line.is_text for line in page.lines] == [True, False, False]
    assert page.lines[1].scores["read"] == 0.1
