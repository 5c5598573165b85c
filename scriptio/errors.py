"""Errors a user can cause. Each message names the file and the fix; the CLI prints it alone."""
from __future__ import annotations

from pathlib import Path


class ScriptioError(Exception):
    """Base class: an expected failure caused by input, not a bug."""


class InputError(ScriptioError):
    """A file the user gave cannot be used (missing, corrupt, wrong kind, too big or small)."""

    def __init__(self, path: str | Path, problem: str, fix: str = "") -> None:
        self.path = str(path)
        message = f"{path}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class ModelError(InputError):
    """A model file that is missing or not a scriptio model."""


class FormatError(InputError):
    """Malformed PAGE/ALTO/JSONL/ground-truth data."""


class DataError(ScriptioError):
    """A dataset that cannot be trained on (empty, no transcriptions)."""


class InputWarning(UserWarning):
    """A flaw in an input that was worked around (a line skipped or repaired, an id renamed):
    the CLI prints it as one `warning:` line."""
