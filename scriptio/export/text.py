"""Write a recognized Page as plain text: one line per text line, a blank line between regions."""
from __future__ import annotations

from scriptio.export._common import line_text
from scriptio.types import Page


def write_text(page: Page) -> bytes:
    """Lines in reading order, UTF-8, ending in a newline; regions without lines add nothing.

    A line's own line breaks and runs of spaces are collapsed to single spaces, so each text
    line is exactly one line of output. An empty page gives empty bytes.
    """
    blocks = ["\n".join(line_text(line) for line in region.lines)
              for region in page.regions if region.lines]
    return ("\n\n".join(blocks) + "\n").encode("utf-8") if blocks else b""
