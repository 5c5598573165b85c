"""`scriptio lm build`: estimate an n-gram language model from text files and write it as ARPA."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import fail, user_errors
from scriptio.errors import DataError, InputError

lm_app = typer.Typer(no_args_is_help=True, help="Build n-gram language models for decoding.")

DEFAULT_ORDER = {"char": 6, "word": 3}


class Unit(str, Enum):
    char = "char"
    word = "word"


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file, or an InputError naming it."""
    if path.is_dir():
        raise InputError(path, "is a folder", "give UTF-8 text files, one sentence per line")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(path, "text file not found", "check the path") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text", "convert it to UTF-8") from None
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror})") from None


def run_lm_build(texts: list[Path], unit: str, order: int | None, out: Path,
                 prune: list[int]) -> str:
    """Build the model, write it atomically, and return a one-line summary."""
    from scriptio.lm import MAX_ORDER, build_lm, write_arpa

    order = order or DEFAULT_ORDER[unit]
    if not 1 <= order <= MAX_ORDER[unit]:
        raise DataError(f"--order {order}: a {unit} model's order must be 1 to {MAX_ORDER[unit]}")
    if any(p < 0 for p in prune):
        raise DataError("--prune counts must be 0 or more")
    lines = [line for path in texts for line in read_lines(path)]
    if not any(line.strip() for line in lines):
        raise DataError(f"{', '.join(map(str, texts))}: no text to build a language model from")
    model = build_lm(lines, unit, order, prune)
    try:
        write_arpa(model, out)
    except OSError as error:
        raise InputError(out, f"cannot write the language model ({error.strerror})",
                         "choose a writable path") from None
    counts = ", ".join(f"{n}-grams {c}" for n, c in enumerate(model.counts(), start=1))
    return f"wrote {out}: {unit} {order}-gram ({counts})"


@lm_app.command("build")
def build(
    texts: list[Path] = typer.Argument(..., help="UTF-8 text files, one sentence (or line) per line"),
    out: Path = typer.Option(..., help="the ARPA file to write (name.arpa.gz to compress)"),
    unit: Unit = typer.Option(Unit.char, help="'char' (spaces become <sp>) or 'word'"),
    order: Optional[int] = typer.Option(None, help="n-gram order (default 6 for char, 3 for word)"),
    prune: list[int] = typer.Option([], help="minimum count to keep an n-gram, for orders 2, 3, ... "
                                             "in turn (repeat the option; the last value repeats)"),
) -> None:
    """Estimate a modified Kneser-Ney n-gram model and write it as an ARPA file."""
    with user_errors():
        typer.echo(run_lm_build(texts, unit.value, order, out, prune))


@lm_app.command("recipe")
def recipe(
    shared: Path = typer.Option(Path("../shared"), help="the folder holding data/htr and data/text"),
    out: Optional[Path] = typer.Option(None, help="where the bundles go (default: the package's own)"),
    languages: str = typer.Option("en,fr", help="comma-separated: en, fr"),
) -> None:
    """Rebuild the bundled language models from their training texts (see scriptio.lm.recipe)."""
    from scriptio.lm.bundle import BUNDLED
    from scriptio.lm.recipe import LANGUAGES, build_bundle

    wanted = [language for language in languages.split(",") if language]
    unknown = sorted(set(wanted) - set(LANGUAGES))
    if unknown:
        fail(f"--languages: no recipe for {', '.join(unknown)} (choose from {', '.join(LANGUAGES)})")
    with user_errors():
        for language in wanted:
            build_bundle(shared, language, (out or BUNDLED) / language)
