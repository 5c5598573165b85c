"""Line-detection accuracy and speed of scriptio.layout on each set's validation pages.

Usage: python benchmarks/layout.py [--data ../shared/data/htr] [--sets hooker,copiste,...]
       [--split val] [--limit N]
Prints a Markdown table: pages, reference lines, detected lines, precision / recall / F1 at
polygon IoU ≥ 0.5, F1 by baseline matching, and seconds per page (segmentation only).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from scriptio.image.io import load_gray
from scriptio.layout.evaluate import below_first_reference, match_baselines, match_lines
from scriptio.layout.segment import segment_page

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "htr"
SETS = ["hooker", "copiste", "peraire", "mss20"]
# copiste pages carry a printed consent header and a handwritten file ID that the reference
# leaves out: detections lying wholly above the first reference line are not scored
IGNORE_ABOVE_FIRST = {"copiste"}


def pages_of(data: Path, name: str, split: str) -> tuple[list[dict], str]:
    rows = [json.loads(l) for l in (data / name / "pages.jsonl").read_text().splitlines() if l.strip()]
    chosen = [r for r in rows if r["split"] == split]
    if not chosen:      # mss20 has no validation split: score every page, and say so
        return rows, "all"
    return chosen, split


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    out = ["| set | split | pages | ref lines | detected | precision | recall | F1 (IoU≥0.5) "
           "| F1 (baseline) | s/page (wall) | s/page (CPU) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in args.sets.split(","):
        rows, split = pages_of(args.data, name, args.split)
        if args.limit:
            rows = rows[:args.limit]
        n_ref = n_pred = tp = tpb = 0
        seconds = cpu = 0.0
        for row in rows:
            gray = load_gray(args.data / name / row["image"])
            t0, c0 = time.perf_counter(), time.process_time()
            page = segment_page(gray)
            seconds += time.perf_counter() - t0
            cpu += time.process_time() - c0
            lines = page.lines
            refs = row["lines"]
            if name in IGNORE_ABOVE_FIRST:
                lines = below_first_reference(lines, [r["polygon"] for r in refs])
            m = match_lines(lines, [r["polygon"] for r in refs])
            mb = match_baselines(lines, [r["baseline"] for r in refs], [r["polygon"] for r in refs])
            n_ref += m.n_ref
            n_pred += m.n_pred
            tp += m.matched
            tpb += mb.matched
            if args.verbose:
                print(f"{name} {row['page']}: ref {m.n_ref} det {m.n_pred} "
                      f"iou-F1 {m.f1:.2f} base-F1 {mb.f1:.2f}", file=sys.stderr)
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_ref if n_ref else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        pb, rb = (tpb / n_pred if n_pred else 0.0), (tpb / n_ref if n_ref else 0.0)
        fb = 2 * pb * rb / (pb + rb) if pb + rb else 0.0
        out.append(f"| {name} | {split} | {len(rows)} | {n_ref} | {n_pred} | {p:.3f} | {r:.3f} "
                   f"| {f1:.3f} | {fb:.3f} | {seconds / max(len(rows), 1):.2f} "
                   f"| {cpu / max(len(rows), 1):.2f} |")
    print(f"Layout analysis (scriptio.layout.segment_page), machine: {platform.machine()} "
          f"{platform.processor() or ''}, command: python benchmarks/layout.py {' '.join(argv or sys.argv[1:])}\n")
    print("\n".join(out))
    print("\nCopiste: detected lines lying entirely above the top of the first reference line "
          "(printed consent header, handwritten file ID) are not scored. mss20 has no "
          "validation split, so all its pages are scored. F1 (baseline): x-range IoU ≥ 0.5 and "
          "median vertical distance < 1/3 of the reference line's polygon height. Wall time "
          "suffers when other jobs share the CPU; CPU time is the per-page cost.")


if __name__ == "__main__":
    main()
