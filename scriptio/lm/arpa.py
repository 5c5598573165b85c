"""ARPA files: the standard text format of backoff n-gram models (SRILM, KenLM, ...).

    # scriptio-lm unit=char            <- optional comment lines before \\data\\ (KenLM allows '#')
    \\data\\
    ngram 1=<count>
    ...
    \\1-grams:
    <log10 prob><TAB><token>[ <token>...]<TAB><log10 backoff>
    ...
    \\end\\

The backoff column is optional. Files ending in `.gz` are compressed. The `unit` comment tells
a character model from a word model; a file without it (written by another tool) is taken as a
character model when every token is one character, `<sp>` or a special token.
"""
from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import IO

from scriptio.atomic import atomic_target
from scriptio.errors import FormatError, InputError
from scriptio.lm.ngram import NgramModel
from scriptio.lm.tokens import SPACE, SPECIAL

HEADER = "# scriptio-lm"
_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


def format_float(value: float) -> str:
    return format(value, ".7g")


def write_arpa(model: NgramModel, path: str | Path) -> None:
    """Write `model` as ARPA, atomically (temp file + rename): a crash leaves no partial file."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with atomic_target(path) as temp, opener(temp, "wt", encoding="utf-8", newline="\n") as stream:
        write_arpa_stream(model, stream)


def write_arpa_stream(model: NgramModel, stream: IO[str]) -> None:
    counts = model.counts()
    stream.write(f"{HEADER} unit={model.unit}\n\n\\data\\\n")
    for n, count in enumerate(counts, start=1):
        stream.write(f"ngram {n}={count}\n")
    for n in range(1, model.order + 1):
        stream.write(f"\n\\{n}-grams:\n")
        for gram, logprob, backoff in sorted(model.ngrams(n)):
            line = f"{format_float(logprob)}\t{' '.join(gram)}"
            if backoff is not None and n < model.order:
                line += f"\t{format_float(backoff)}"
            stream.write(line + "\n")
    stream.write("\n\\end\\\n")


def read_arpa(path: str | Path) -> NgramModel:
    """Read an ARPA file into an `NgramModel`; malformed files raise FormatError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "language model file not found", "give the path of an .arpa file")
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(path, f"cannot read the language model ({error})") from None
    except UnicodeDecodeError:
        raise FormatError(path, "not UTF-8 text", "an ARPA language model is a UTF-8 text file") from None
    model = parse_arpa(io.StringIO(text), path)
    model.source = path
    return model


class _Lines:
    """Numbered, stripped lines, so every error can say where it is."""

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.lines = stream.read().splitlines()
        self.index = 0
        self.path = path

    def next(self) -> str | None:
        while self.index < len(self.lines):
            line = self.lines[self.index].strip()
            self.index += 1
            if line:
                return line
        return None

    def error(self, problem: str) -> FormatError:
        return FormatError(self.path, f"line {self.index}: {problem}",
                           "not a valid ARPA language model; rebuild it with `scriptio lm build`")


def parse_arpa(stream: IO[str], path: Path) -> NgramModel:
    lines = _Lines(stream, path)
    unit = None
    line = lines.next()
    while line is not None and line != "\\data\\":
        if line.startswith(HEADER):
            match = re.search(r"unit=(\w+)", line)
            unit = match.group(1) if match and match.group(1) in ("char", "word") else None
        line = lines.next()
    if line is None:
        raise FormatError(path, "no \\data\\ section", "not an ARPA language model")
    expected: dict[int, int] = {}
    line = lines.next()
    while line is not None and line.startswith("ngram"):
        match = _COUNT.match(line)
        if not match:
            raise lines.error(f"bad n-gram count line {line!r}")
        expected[int(match.group(1))] = int(match.group(2))
        line = lines.next()
    order = max(expected, default=0)
    if order < 1 or sorted(expected) != list(range(1, order + 1)):
        raise lines.error("the \\data\\ section must count n-grams of orders 1, 2, ... in turn")
    probs: dict[tuple[str, ...], float] = {}
    backoffs: dict[tuple[str, ...], float] = {}
    for n in range(1, order + 1):
        match = _SECTION.match(line or "")
        if not match or int(match.group(1)) != n:
            raise lines.error(f"expected \\{n}-grams:, found {line!r}")
        seen = 0
        line = lines.next()
        while line is not None and not line.startswith("\\"):
            fields = line.split()
            if len(fields) not in (n + 1, n + 2):
                raise lines.error(f"a {n}-gram line needs a log-prob, {n} token(s) and an "
                                  f"optional backoff, found {line!r}")
            try:
                values = [float(fields[0])] + ([float(fields[-1])] if len(fields) == n + 2 else [])
            except ValueError:
                raise lines.error(f"not a number in {line!r}") from None
            gram = tuple(fields[1:n + 1])
            probs[gram] = values[0]
            if len(values) == 2 and values[1] != 0.0:
                backoffs[gram] = values[1]
            seen += 1
            line = lines.next()
        if seen != expected[n]:
            raise lines.error(f"\\data\\ announces {expected[n]} {n}-grams but {seen} are listed")
    if line != "\\end\\":
        raise lines.error(f"expected \\end\\, found {line!r}")
    return NgramModel(order, probs, backoffs, unit=unit or guess_unit(probs))


def guess_unit(probs: dict[tuple[str, ...], float]) -> str:
    """'char' when every unigram is one character, `<sp>` or special; else 'word'."""
    tokens = [g[0] for g in probs if len(g) == 1]
    if tokens and all(len(t) == 1 or t == SPACE or t in SPECIAL for t in tokens):
        return "char"
    return "word"
