"""End-to-end page reading on each set's validation pages: layout, text, speed.

    python benchmarks/pages.py --shared ../shared [--model PATH] [--sets hooker,copiste,peraire,mss20]

For every page: segment it (scriptio.layout), match the found lines to the reference lines
(polygon IoU ≥ 0.5, one-to-one), read the found lines in our reading order, and read the
reference lines too. Page CER compares the page's text (lines joined by spaces, in reading
order) with the reference text; comparing the two CERs separates segmentation and ordering
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

from scriptio.api import load_model, read_page
from scriptio.image.io import load_gray
from scriptio.layout.evaluate import below_first_reference, match_baselines, match_lines
from scriptio.layout.segment import segment_page
from scriptio.text.metrics import ErrorRate
from scriptio.types import Page, Region, TextLine

SETS = ("hooker", "copiste", "peraire", "mss20")
# copiste pages carry a printed consent header and a handwritten file ID that the reference
# does not transcribe: found lines lying wholly above the first reference line are not scored
IGNORE_ABOVE_FIRST = {"copiste"}


def pages_of(data: Path, name: str) -> tuple[list[dict], str]:
    rows = [json.loads(line) for line in (data / name / "pages.jsonl").read_text().splitlines() if line.strip()]
    val = [row for row in rows if row["split"] == "val"]
    return (val, "val") if val else (rows, "all (no val split; its lines were trained on)")


def page_text(lines: list[TextLine]) -> str:
    return " ".join(" ".join(line.text.split()) for line in lines if line.text.strip())


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--limit", type=int, default=0, help="pages per set (0 = all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recognizer = load_model(args.model)
    data = args.shared / "data" / "htr"
    rows_out = []
    for name in args.sets.split(","):
        rows, split = pages_of(data, name)
        rows = rows[: args.limit] if args.limit else rows
        found = ref_count = matched = matched_baselines = 0
        seg_wall = seg_cpu = read_wall = 0.0
        end_to_end, from_reference = ErrorRate(), ErrorRate()
        for row in rows:
            gray = load_gray(data / name / row["image"])
            wall, cpu = time.perf_counter(), time.process_time()
            page = segment_page(gray)
            seg_wall += time.perf_counter() - wall
            seg_cpu += time.process_time() - cpu
            lines = scored_lines(page, row, name)
            match = match_lines(lines, [line["polygon"] for line in row["lines"]])
            by_baseline = match_baselines(lines, [line.get("baseline") for line in row["lines"]],
                                          [line["polygon"] for line in row["lines"]])
            found, ref_count, matched = found + match.n_pred, ref_count + match.n_ref, matched + match.matched
            matched_baselines += by_baseline.matched
            started = time.perf_counter()
            read_page(Page(None, page.width, page.height, [Region("r", [], lines)]), gray, recognizer)
            reference = read_page(reference_page(row), gray, recognizer)
            read_wall += time.perf_counter() - started
            truth = " ".join(" ".join(line["text"].split()) for line in row["lines"])
            end_to_end.add(truth, page_text(lines))
            from_reference.add(truth, page_text(reference.lines))
        precision = matched / found if found else 0.0
        recall = matched / ref_count if ref_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1_baseline = 2 * matched_baselines / (found + ref_count) if found + ref_count else 0.0
        ratio = end_to_end.cer / from_reference.cer if from_reference.cer else float("nan")
        count = max(len(rows), 1)
        rows_out.append(f"| {name} | {split} | {len(rows)} | {ref_count} | {found} | {precision:.3f} | {recall:.3f} "
                        f"| {f1:.3f} | {f1_baseline:.3f} | {100 * end_to_end.cer:.2f}% | {100 * from_reference.cer:.2f}% | {ratio:.2f} "
                        f"| {seg_wall / count:.2f} | {seg_cpu / count:.2f} | {read_wall / count:.2f} |")
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    print(f"command: python benchmarks/pages.py {' '.join(argv if argv is not None else sys.argv[1:])}\n")
    print("| set | split | pages | ref lines | found | precision | recall | F1 (IoU≥0.5) | F1 (baseline) | page CER (found lines) "
          "| page CER (reference lines) | ratio | segment s/page (wall) | segment s/page (CPU) "
          "| read s/page (both) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows_out))
    print("\nPrecision and recall: lines match at polygon IoU ≥ 0.5, one to one. F1 (baseline): one to one "
          "at x-range IoU ≥ 0.5 and median vertical baseline distance < 1/3 of the reference line's "
          "polygon height (the baseline rule of cBAD-style evaluations). Page text = lines joined by single spaces in "
          "reading order. Copiste: found lines lying entirely above the top of the first reference line "
          "(printed consent header, handwritten file ID, not transcribed in the reference) are left out "
          "of every score. Greedy decoding, no language model.")


if __name__ == "__main__":
    main()
