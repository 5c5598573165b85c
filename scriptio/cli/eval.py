"""`scriptio eval`: CER and WER of a model per dataset, as a table; an unusable dataset is reported
and the others are still scored."""
from __future__ import annotations

import time
from typing import Optional

import typer

from scriptio.cli.common import check_options, one_line_warnings, report, set_threads, user_errors
from scriptio.cli.progress import progress_bar
from scriptio.errors import DataError, ScriptioError
from scriptio.text.metrics import ErrorRate


def evaluate_dataset(recognizer, spec: str, decoder=None) -> tuple[ErrorRate, int, float]:
    from scriptio import api
    from scriptio.data.sources import read_records

    records = [r for r in read_records(spec) if r.text]
    if not records:
        raise DataError(f"{spec}: no transcribed lines to evaluate (need .gt.txt files or text in the manifest)")
    rate, failed = ErrorRate(), 0
    started = time.time()
    with progress_bar(len(records), f"eval {spec}") as advance:
        for outcome in api.read_lines(api.record_sources(records), recognizer, decoder, on_progress=advance):
            if outcome.result is None:
                failed += 1
                continue
            rate.add(outcome.source.record.text or "", outcome.result.text)
    if not rate.lines:
        raise DataError(f"{spec}: none of its {failed} lines could be read (check that its images exist and open)")
    return rate, failed, time.time() - started


def evaluate(
    data: list[str] = typer.Argument(..., help="datasets: folder, PAGE/ALTO, JSONL (path.jsonl:val for a split)"),
    model: Optional[str] = typer.Option(None, help="model file (default: the bundled model)"),
    beam: Optional[int] = typer.Option(None, help="beam width (default: 1 = greedy; with --lm, its tuned beam)"),
    lm: Optional[str] = typer.Option(None, help="language model: 'en', 'fr', an .arpa file or a bundle folder"),
    lm_weight: Optional[float] = typer.Option(None), word_bonus: Optional[float] = typer.Option(None),
    threads: int = typer.Option(2),
) -> None:
    """Print CER and WER per dataset."""
    from scriptio import api

    check_options(threads=threads)
    with user_errors():
        decoder = api.build_decoder(beam, lm, lm_weight, word_bonus)
        set_threads(threads)
        recognizer = api.load_model(model)
        api.check_language_model(recognizer, decoder, lm)
    print(f"model: {model or 'default'}\n")
    print("| dataset | lines | CER | WER | unreadable | lines/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    failures = 0
    for spec in data:
        try:
            with one_line_warnings():
                rate, failed, seconds = evaluate_dataset(recognizer, spec, decoder)
        except ScriptioError as error:
            report(str(error))
            failures += 1
            continue
        print(f"| {spec} | {rate.lines} | {rate.cer:.2%} | {rate.wer:.2%} | {failed} | "
              f"{rate.lines / max(seconds, 1e-9):.1f} |", flush=True)
    if failures:
        raise typer.Exit(1)
