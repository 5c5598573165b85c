"""The shared shell of the small model-file tools (average, add_step, widen)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from scriptio.errors import ScriptioError


def write_new_model(out: Path, write: Callable[[], str]) -> int:
    """Run `write` (which writes `out` and returns a summary) unless `out` already exists:
    a tool never overwrites a model. Errors a user can cause print one line; returns the exit code."""
    if out.exists():  # an input given as the output is caught here too
        print(f"error: {out} exists; give a new file name", file=sys.stderr)
        return 2
    try:
        summary = write()
    except ScriptioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {summary}")
    return 0
