"""`scriptio read`: pages (segmented, or PAGE/ALTO lines as given), text blocks or line images in,
text or layout formats out."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import Level, OutputFormat, already_done, check_options, fail, make_folders, note_skipped, \
    report, set_threads, user_errors, warn, write_output, write_png_atomic
from scriptio.cli.pages import run_pages


def read(
    inputs: list[Path] = typer.Argument(..., help="page images (TIFF: every frame), folders, PAGE/ALTO files; "
                                                  "with --level line: line images or JSONL manifests"),
    level: Level = typer.Option(Level.page, help="'page': find regions and lines; 'block': the image is one text "
                                                 "block; 'line': each image is one line"),
    model: Optional[str] = typer.Option(None, help="model file or bundled model name (default: the bundled model)"),
    segmenter: str = typer.Option("default", help="page segmenter: classic, learned or a layout model file "
                                                   "(page and block levels)"),
    output_format: Optional[OutputFormat] = typer.Option(
        None, "--format", help="output format (default txt; PAGE/ALTO inputs: their own format)"),
    output_dir: Optional[Path] = typer.Option(None, help="write DIR/name.<ext> for each input name.ext"),
    debug_dir: Optional[Path] = typer.Option(None, help="write lines before/after normalization (line level) "
                                                        "or the found layout (page level) as PNGs"),
    beam: Optional[int] = typer.Option(None, help="beam width (default: 1 = greedy; with --lm, its tuned beam)"),
    lm: Optional[str] = typer.Option(None, help="language model: 'en', 'fr' (bundled), an .arpa file or a bundle folder"),
    lm_weight: Optional[float] = typer.Option(None, help="LM weight (default: the value tuned for the model)"),
    word_bonus: Optional[float] = typer.Option(None, help="insertion bonus per LM unit (default: tuned value)"),
    threads: int = typer.Option(2, help="CPU threads for the network"),
    overwrite: bool = typer.Option(False, help="replace outputs that already exist in --output-dir (otherwise "
                                               "they are kept and reported; a folder's are skipped, so a "
                                               "rerun resumes)"),
    workers: int = typer.Option(1, help="worker processes, each loading the models once (--threads are shared "
                                        "among them); the output is the same as with 1"),
    ray: Optional[str] = typer.Option(None, "--ray", help="read on a Ray cluster: the address of its head node "
                                                          "(host:6379, ray://host:10001) or 'local'; --workers "
                                                          "actors (default: one per CPU of the cluster)"),
) -> None:
    """Read handwritten pages or lines."""
    from scriptio import api

    check_options(threads=threads, workers=workers)
    with user_errors():
        if ray is not None:  # before any model is loaded: no Ray, or no cluster there, fails at once
            from scriptio.api.cluster import check_address, import_ray

            import_ray()
            check_address(ray)
        decoder = api.build_decoder(beam, lm, lm_weight, word_bonus)
        if level is Level.line and output_format not in (None, OutputFormat.txt):
            fail(f"--format {output_format.value} needs page geometry; use --level page, or --format txt")
        set_threads(threads)
        recognizer = api.load_model(model)
        api.check_language_model(recognizer, decoder, lm)
        chosen = api.load_segmenter(segmenter) if level is not Level.line else None
        reader = api.Reader(recognizer, decoder, chosen, level.value, keep_images=debug_dir is not None,
                            threads=1 if ray is not None else max(1, threads // workers))
        with api.open_pool(reader, workers, ray) as pool:
            if level is Level.line:
                failures = read_line_inputs(inputs, recognizer, decoder, output_dir, debug_dir, overwrite, pool)
            else:
                failures = run_pages(inputs, output_dir, output_format.value if output_format else None, debug_dir,
                                     level.value, chosen, recognizer, decoder, overwrite, pool=pool)
    if failures:
        raise typer.Exit(1)


def write_debug(debug_dir: Path, outcome) -> None:
    name = outcome.source.record.id
    if outcome.original is not None:
        write_png_atomic(debug_dir / f"{name}.before.png", outcome.original)
    if outcome.normalized is not None:
        write_png_atomic(debug_dir / f"{name}.after.png", outcome.normalized)


def read_line_inputs(inputs: list[Path], recognizer, decoder, output_dir: Path | None,
                     debug_dir: Path | None, overwrite: bool = False, pool=None) -> int:
    """Read every line of every input, shard by shard (in `pool`: this process by default),
    writing each input's text as soon as its last line is read; inputs of a folder or manifest
    whose output exists are skipped. Return how many inputs failed (their errors printed)."""
    from scriptio import api
    from scriptio.cli.progress import progress_bar
    from scriptio.errors import InputError

    failures = 0
    jobs = []
    for item in api.expand_inputs(inputs, "line"):
        if isinstance(item, InputError):
            report(str(item))
            failures += 1
        else:
            jobs.append(item)
    make_folders(output_dir, debug_dir)
    claimed: dict[Path, str] = {}
    if output_dir is not None:
        total = len(jobs)
        jobs = [job for job in jobs if not already_done(job, [output_dir / f"{job.name}.txt"], claimed, overwrite)]
        note_skipped(total - len(jobs), total, output_dir)
    if pool is None:
        pool = api.open_pool(api.Reader(recognizer, decoder, level="line", keep_images=debug_dir is not None)).pool
    owner = [index for index, job in enumerate(jobs) for _ in job.records]
    texts: list[list[str]] = [[] for _ in jobs]
    broken = [False] * len(jobs)
    remaining = [len(job.records) for job in jobs]
    with progress_bar(len(owner), "reading") as advance:
        outcomes = api.read_records([record for job in jobs for record in job.records], pool, on_progress=advance)
        for position, outcome in enumerate(outcomes):
            index = owner[position]
            if debug_dir is not None:
                write_debug(debug_dir, outcome)
            if outcome.error is not None:
                report(outcome.error)
                broken[index] = True
            else:
                if not outcome.ink:
                    warn(no_writing(jobs[index], outcome))
                texts[index].append(outcome.result.text)
            remaining[index] -= 1
            if remaining[index] == 0:
                done = not broken[index] and emit(jobs[index], texts[index], output_dir, claimed, len(jobs) > 1,
                                                  overwrite)
                failures += not done
    return failures


def no_writing(job, outcome) -> str:
    """The notice for a line read as empty text because it holds no writing (not a failure: a
    blank line is a fact about the input, but one the user should not have to guess)."""
    record = outcome.source.record
    if len(job.records) > 1:
        line = f"line {record.id}: "
    else:
        line = f"frame {record.frame + 1}: " if record.frame else ""
    return f"{job.source}: {line}no writing found (blank, or all one shade); its text is left empty"


def emit(job, lines: list[str], output_dir: Path | None, claimed: dict[Path, str], multiple: bool,
         overwrite: bool = False) -> bool:
    """Print or write one input's text; False if its output name is taken by another input, or
    the file cannot be written."""
    text = "\n".join(lines)
    if output_dir is None:
        if multiple and len(lines) == 1:
            sys.stdout.write(f"{job.name}\t{text}\n")
        else:
            sys.stdout.write(text + "\n")
        return True
    target = output_dir / f"{job.name}.txt"
    if target in claimed:
        report(f"{job.source}: output {target} is already written for {claimed[target]} (rename one of the inputs)")
        return False
    claimed[target] = str(job.source)
    return write_output(target, (text + "\n").encode("utf-8"), overwrite, resume=job.batch)
