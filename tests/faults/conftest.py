"""Helpers for the fault tests: run the command line, pick its one-line errors and warnings."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(arg) for arg in args])


def lines_starting(result, prefix: str) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(prefix)]


def assert_clean(result) -> None:
    """No traceback and no raw Python warning reached the user."""
    assert "Traceback" not in result.output, result.output
    assert "UserWarning" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def assert_one_error(result, *needles: str, code: int = 2) -> str:
    """The run failed with `code` and printed exactly one error line, holding every needle."""
    assert_clean(result)
    assert result.exit_code == code, result.output
    errors = lines_starting(result, "error:")
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]
