"""Whole pages, segmenters side by side: line detection, junk lines, page CER, speed.

    python benchmarks/pages.py --shared ../shared [--segmenters classic,learned] [--model PATH]
        [--sets hooker,copiste,peraire,mss20,poilus] [--pages ID,...] [--sweep 0.6:0,0.7:0.3,...]

For every val page (every page where a set has no val split) and every segmenter: segment it,
match the found lines to the reference lines by baseline, read the found lines in reading order
(flagging those read with too little confidence as not writing, as `scriptio read` does) and the
reference lines. Page CER compares the page's text (lines joined by spaces) with the reference
text; its ratio to the CER of reading the reference lines separates segmentation and ordering
errors from recognition errors. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from scriptio.api import load_model, load_segmenter, read_page
from scriptio.api.pages import MIN_READ_CONFIDENCE, flag_non_text
from scriptio.image.io import load_gray
from scriptio.layout.evaluate import below_first_reference, match_baselines
from scriptio.layout.learned import LearnedParams
from scriptio.text.metrics import ErrorRate
from scriptio.types import Page, Region, TextLine

SETS = ("hooker", "copiste", "peraire", "mss20", "poilus")
# copiste pages carry a printed consent header and a handwritten file ID that the reference
# does not transcribe: found lines lying wholly above the first reference line are not scored
IGNORE_ABOVE_FIRST = {"copiste"}


def pages_of(data: Path, name: str) -> tuple[list[dict], str]:
    rows = [json.loads(line) for line in (data / name / "pages.jsonl").read_text().splitlines() if line.strip()]
    val = [row for row in rows if row["split"] == "val"]
    return (val, "val") if val else (rows, "all (no val split)")


def page_text(lines: list[TextLine]) -> str:
    return " ".join(" ".join(line.text.split()) for line in lines if line.is_text and line.text.strip())


def reference_page(row: dict) -> Page:
    lines = [TextLine(id=line["id"], polygon=[tuple(p) for p in line["polygon"]],
                      baseline=[tuple(p) for p in line["baseline"]] if line.get("baseline") else None)
             for line in row["lines"]]
    return Page(image_path=None, width=row["width"], height=row["height"],
                regions=[Region(id="r1", polygon=[], lines=lines)])


def scored_lines(page: Page, row: dict, name: str) -> list[TextLine]:
    if name in IGNORE_ABOVE_FIRST:
        return below_first_reference(page.lines, [line["polygon"] for line in row["lines"]])
    return page.lines


class Tally:
    def __init__(self, thresholds: list[float]) -> None:
        self.found = self.reference = self.matched = self.pages = 0
        self.seconds = self.cpu = 0.0
        self.text = {t: ErrorRate() for t in thresholds}
        self.unmatched = {t: 0 for t in thresholds}

    def row(self, name: str, split: str, segmenter: str, reference: ErrorRate, threshold: float) -> str:
        f1 = 2 * self.matched / (self.found + self.reference) if self.found + self.reference else 0.0
        precision = self.matched / self.found if self.found else 0.0
        recall = self.matched / self.reference if self.reference else 0.0
        cer = self.text[threshold].cer
        ratio = cer / reference.cer if reference.cer else float("nan")
        pages = max(self.pages, 1)
        return (f"| {name} | {split} | {segmenter} | {self.pages} | {self.reference} | {self.found} | {precision:.3f} | "
                f"{recall:.3f} | {f1:.3f} | {self.unmatched[threshold] / pages:.1f} | {100 * cer:.2f}% | "
                f"{100 * reference.cer:.2f}% | {ratio:.2f} | {self.seconds / pages:.2f} | {self.cpu / pages:.2f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--model", default=None, help="recognizer (default: the bundled one)")
    parser.add_argument("--segmenters", default="classic,learned",
                        help="comma-separated: classic, learned, or layout model files")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--limit", type=int, default=0, help="pages per set (0 = all)")
    parser.add_argument("--pages", default="", help="comma-separated page ids: only these (e.g. a set's dev pages)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sweep", default="",
                        help="also report page CER and unmatched lines at these TEXT:READ threshold pairs: the "
                             "learned segmenter's least core probability and the least reading confidence of a "
                             "line kept as writing")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recognizer = load_model(args.model)
    segmenters = {name: load_segmenter(name) for name in args.segmenters.split(",")}
    default = (LearnedParams().min_text_score, MIN_READ_CONFIDENCE)
    thresholds = sorted({default, *(tuple(float(v) for v in pair.split(":")) for pair in args.sweep.split(",") if pair)})
    data = args.shared / "data" / "htr"
    rows_out, sweep_out = [], []
    for name in args.sets.split(","):
        rows, split = pages_of(data, name)
        rows = [row for row in rows if row["page"] in args.pages.split(",")] if args.pages else rows
        rows = rows[: args.limit] if args.limit else rows
        tallies = {segmenter: Tally(thresholds) for segmenter in segmenters}
        from_reference = ErrorRate()
        for row in rows:
            gray = load_gray(data / name / row["image"])
            truth = " ".join(" ".join(line["text"].split()) for line in row["lines"])
            from_reference.add(truth, page_text(read_page(reference_page(row), gray, recognizer).lines))
            for segmenter, segment in segmenters.items():
                tally = tallies[segmenter]
                wall, cpu = time.perf_counter(), time.process_time()
                page = segment(gray, None)
                tally.seconds += time.perf_counter() - wall
                tally.cpu += time.process_time() - cpu
                tally.pages += 1
                read_page(page, gray, recognizer)
                shape_ok = [line.is_text or line.scores.get("text", 1.0) < default[0] for line in page.lines]
                for threshold in thresholds:
                    for line, ok in zip(page.lines, shape_ok):
                        line.is_text = ok and line.scores.get("text", 1.0) >= threshold[0]
                    flag_non_text(page, threshold[1])
                    lines = [line for line in scored_lines(page, row, name) if line.is_text]
                    match = match_baselines(lines, [line.get("baseline") for line in row["lines"]],
                                            [line["polygon"] for line in row["lines"]])
                    tally.unmatched[threshold] += match.n_pred - match.matched
                    tally.text[threshold].add(truth, page_text(lines))
                    if threshold == default:
                        tally.found += match.n_pred
                        tally.reference += match.n_ref
                        tally.matched += match.matched
        for segmenter, tally in tallies.items():
            rows_out.append(tally.row(name, split, segmenter, from_reference, default))
            for threshold in thresholds:
                sweep_out.append(f"| {name} | {segmenter} | {threshold[0]:.2f} | {threshold[1]:.2f} | "
                                 f"{tally.unmatched[threshold] / max(tally.pages, 1):.1f} | "
                                 f"{100 * tally.text[threshold].cer:.2f}% |")
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    print(f"command: python benchmarks/pages.py {' '.join(argv if argv is not None else sys.argv[1:])}\n")
    print("| set | split | segmenter | pages | ref lines | found | precision | recall | F1 (baseline) "
          "| unmatched/page | page CER | reference-line CER | ratio | segment s/page (wall) | segment s/page (CPU) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows_out))
    print(f"\nLines read with confidence below {MIN_READ_CONFIDENCE} (and empty ones), and learned lines with a mean "
          f"core probability below {default[0]}, are flagged as not writing "
          "and left out of the text, as `scriptio read` does. Lines match one to one at x-range IoU ≥ 0.5 and "
          "median vertical baseline distance < 1/3 of the reference line's polygon height (the baseline rule "
          "of cBAD-style evaluations); unmatched = found writing lines matching no reference line. Page text = "
          "lines joined by single spaces in reading order. Copiste: found lines lying entirely above the top of "
          "the first reference line (printed consent header, file ID, not transcribed) are not scored. Greedy "
          "decoding, no language model.")
    if len(thresholds) > 1:
        print("\n| set | segmenter | least core probability | least read confidence | unmatched/page | page CER |")
        print("|---|---|---:|---:|---:|---:|")
        print("\n".join(sweep_out))


if __name__ == "__main__":
    main()
