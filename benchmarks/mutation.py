"""Mutation testing of the core modules with mutmut 3: how many small planted bugs the tests catch.

    python benchmarks/mutation.py                          # every module below, smallest first
    python benchmarks/mutation.py scriptio/text scriptio/lm/arpa.py   # some of them
    python benchmarks/mutation.py scriptio/layout/regions.py --tests tests/layout --minutes 20

Each module is mutated in a scratch copy of the repository (work/mutation/<module>/), never in
the working tree: mutmut writes its mutants there, and only the tests of that module's folders
run against them (mutmut runs, for each mutant, only the tests that call the mutated function).
Prints a Markdown table (module, mutants, killed, survived, timeout, no tests, not checked,
score) and writes it with the surviving mutants' names to runs/mutation/<module>.md; see each
survivor with `cd work/mutation/<module> && python -m mutmut show NAME`.

score = (killed + timeout) / (mutants - skipped - not checked): a mutant that no selected test
reaches ("no tests") counts as surviving. A run stopped by --minutes reports what it checked.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: module (file or folder under scriptio/) -> the test folders or files that cover it. A module
#: not listed here needs --tests.
MODULES: dict[str, list[str]] = {
    "scriptio/text": ["tests/text"],
    "scriptio/data/pagexml.py": ["tests/data/test_xml_formats.py", "tests/data/test_reading_order_indices.py",
                                 "tests/data/test_pagexml_geometry.py", "tests/faults/test_page_xml.py"],
    "scriptio/data/alto.py": ["tests/data/test_xml_formats.py", "tests/data/test_alto_geometry.py",
                              "tests/faults/test_page_xml.py"],
    # the unit tests of the order code (tests/layout also segments whole pages: minutes per mutant)
    "scriptio/layout/regions.py": ["tests/layout/test_regions.py", "tests/layout/test_row_order.py",
                                   "tests/layout/test_parts.py"],
    "scriptio/layout/learned.py": ["tests/layout/test_learned.py"],   # the learned segmenter's post-processing
    "scriptio/features": ["tests/features"],
    # scorer.py is exercised by the beam search's tests, bundle.py by the --lm command-line tests
    "scriptio/lm": ["tests/lm", "tests/decode/test_beam.py", "tests/cli/test_read_lm.py"],
    "scriptio/decode": ["tests/decode", "tests/cli/test_read_lm.py"],
    "scriptio/hmm": ["tests/hmm"],
    "scriptio/image/geometry.py": ["tests/image"],
    "scriptio/image/normalize.py": ["tests/image"],
    "scriptio/image/enhance.py": ["tests/image"],
    "scriptio/image/width.py": ["tests/image"],
    "scriptio/image/pitch.py": ["tests/image"],
    "scriptio/image/seams.py": ["tests/image/test_seams.py", "tests/models/test_paragraph_bands.py"],
    "scriptio/image/io.py": ["tests/image/test_io_exact.py", "tests/faults/test_images.py"],   # loading, its errors
    "scriptio/models/paragraph_bands.py": ["tests/models/test_paragraph_bands.py"],   # the band reader
    "scriptio/train/paragraph_augment.py": ["tests/train/test_paragraph_augment.py"],   # re-spaced blocks
}
#: The order of a full run: small and fast first.
DEFAULT_ORDER = list(MODULES)


def slug(module: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", module.removeprefix("scriptio/").removesuffix(".py")).strip("-")


def mutmut_config(module: str, tests: list[str]) -> str:
    pattern = module if module.endswith(".py") else module.rstrip("/") + "/*"

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["scriptio"]',
        f"only_mutate = {toml_list([pattern])}",
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly"]',
        "use_git_change_detection = false",
        # torch's thread pool does not survive a fork from the process that ran the stats: fork
        # every mutant from a clean server instead
        'process_isolation = "forkserver"',
        "timeout_multiplier = 10.0",
        "track_dependencies = false",
        "",
    ])


def prepare(module: str, tests: list[str], scratch: Path) -> None:
    """A fresh copy of the package, the tests and pyproject.toml (plus mutmut's settings)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(ROOT / "scriptio", scratch / "scriptio", ignore=ignore)
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (scratch / "pyproject.toml").write_text(text + mutmut_config(module, tests), encoding="utf-8")


def run_mutmut(scratch: Path, minutes: float, children: int, log: Path) -> bool:
    """mutmut run in `scratch`; False when it was stopped by the time limit."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
                                   cwd=scratch, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
        try:
            process.wait(timeout=minutes * 60)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)   # mutmut stops its workers and saves what it has
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            return False


STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def read_results(scratch: Path) -> tuple[dict[str, int], list[str]]:
    """Counts per status and the names of the surviving mutants, from mutmut's .meta files."""
    counts = {name: 0 for name in ("mutants", "killed", "survived", "timeout", "no tests", "skipped",
                                   "not checked", "other")}
    survivors = []
    for meta in sorted((scratch / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            status = STATUS.get(code, "other")
            counts["mutants"] += 1
            counts[status] += 1
            if status in ("survived", "no tests"):
                survivors.append(f"{name} ({status})")
    return counts, survivors


def score(counts: dict[str, int]) -> float | None:
    checked = counts["mutants"] - counts["skipped"] - counts["not checked"]
    return None if checked <= 0 else (counts["killed"] + counts["timeout"]) / checked


HEADER = ("| module | mutants | killed | survived | timeout | no tests | not checked | score | minutes |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def row(module: str, counts: dict[str, int], minutes: float) -> str:
    value = score(counts)
    shown = "n/a" if value is None else f"{value:.1%}"
    return (f"| {module} | {counts['mutants']} | {counts['killed']} | {counts['survived']} | {counts['timeout']} | "
            f"{counts['no tests']} | {counts['not checked']} | {shown} | {minutes:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help=f"files or folders under scriptio/ (default: {' '.join(DEFAULT_ORDER)})")
    parser.add_argument("--tests", nargs="+", help="test folders or files to run against the mutants "
                                                   "(default: the module's own, see MODULES)")
    parser.add_argument("--minutes", type=float, default=30.0, help="time limit per module")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (CPU cores to use)")
    parser.add_argument("--scratch", type=Path, default=ROOT / "work" / "mutation")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "mutation")
    parser.add_argument("--min-score", type=float, default=None,
                        help="exit 1 when a module scores below this share (e.g. 0.85)")
    args = parser.parse_args()
    modules = [m.rstrip("/") for m in args.modules] or DEFAULT_ORDER
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"command: {' '.join(sys.argv)}\n")
    print(HEADER, flush=True)
    low = []
    for module in modules:
        if not (ROOT / module).exists():
            parser.error(f"{module}: no such file or folder")
        tests = args.tests or MODULES.get(module)
        if not tests:
            parser.error(f"{module}: no test folders known for it; give --tests")
        scratch = args.scratch / slug(module)
        started = time.time()
        prepare(module, tests, scratch)
        finished = run_mutmut(scratch, args.minutes, args.children, args.out / f"{slug(module)}.log")
        counts, survivors = read_results(scratch)
        minutes = (time.time() - started) / 60
        line = row(module, counts, minutes)
        log = args.out / f"{slug(module)}.log"
        note = "" if finished else "  (stopped by --minutes)"
        if counts["not checked"] == counts["mutants"]:   # e.g. a test failed before any mutant ran
            note = f"  (mutmut checked nothing: see {log})"
        print(line + note, flush=True)
        report = [HEADER, line, "", f"tests: {' '.join(tests)}", "", "surviving mutants:", *survivors]
        (args.out / f"{slug(module)}.md").write_text("\n".join(report) + "\n", encoding="utf-8")
        value = score(counts)
        if args.min_score is not None and (value is None or value < args.min_score):
            low.append(module)
    if low:
        print(f"\nbelow {args.min_score:.0%}: {', '.join(low)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
