"""`scriptio eval`: CER and WER of a model per dataset, as a table."""
from __future__ import annotations

import time

from scriptio.api import load_model, read_lines
from scriptio.cli_progress import progress_bar
from scriptio.data.sources import read_records
from scriptio.errors import DataError
from scriptio.text.metrics import ErrorRate


def evaluate_dataset(recognizer, spec: str, decoding: dict | None = None) -> tuple[ErrorRate, int, float]:
    records = [r for r in read_records(spec) if r.text]
    if not records:
        raise DataError(f"{spec}: no transcribed lines to evaluate (need .gt.txt files or text in the manifest)")
    rate, failed = ErrorRate(), 0
    started = time.time()
    with progress_bar(len(records), f"eval {spec}") as advance:
        for outcome in read_lines(records, recognizer, decoding=decoding, on_progress=advance):
            if outcome.result is None:
                failed += 1
                continue
            rate.add(outcome.record.text or "", outcome.result.text)
    return rate, failed, time.time() - started


def run_eval(specs: list[str], model: str | None, threads: int, decoding: dict | None = None) -> None:
    import torch

    torch.set_num_threads(threads)
    recognizer = load_model(model)
    print(f"model: {model or 'default'}\n")
    print("| dataset | lines | CER | WER | unreadable | lines/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for spec in specs:
        rate, failed, seconds = evaluate_dataset(recognizer, spec, decoding)
        print(f"| {spec} | {rate.lines} | {rate.cer:.2%} | {rate.wer:.2%} | {failed} | "
              f"{rate.lines / max(seconds, 1e-9):.1f} |", flush=True)
