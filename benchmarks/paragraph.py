"""The paragraph reader against line recognition: val text blocks of ../shared read whole (no line
segmentation) versus the line recognizer reading the blocks' reference lines; and whole pages,
regions from the learned segmenter read by the paragraph reader versus the usual page pipeline.

    python benchmarks/paragraph.py --model runs/para/best.safetensors [--sets hooker,copiste,poilus,peraire]

Block text: its rows top to bottom (lines sharing a row joined left to right, as the reader
reads them), one per text line; CER over the block's text with line breaks. Greedy decoding.
copiste blocks are scored as its pages are (benchmarks/pages.py, after ../shared/README.md): rows
the reader finds wholly above the block's first reference line (the untranscribed file-ID line of
the imp_ pages, inside their text region) are not scored; the column "all rows" scores them too.
For a band reader (read_mode "band"), a further column reads bands of the reader's height at the
reference rows' centres: what the reader would read with perfect attention.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pages import IGNORE_ABOVE_FIRST, page_text, pages_of, reference_page, scored_lines  # benchmarks/pages.py
from scriptio.api import load_model, load_segmenter, read_page
from scriptio.api.pages import flag_non_text, read_blocks, reads_as_writing
from scriptio.data.blocks import _Line, gt_pitch, group_rows
from scriptio.image.io import load_gray
from scriptio.layout.evaluate import below_first_reference
from scriptio.models.paragraph_bands import read_bands
from scriptio.text.metrics import ErrorRate

SETS = ("hooker", "copiste", "poilus", "peraire")


def region_rows(page: dict, region: dict) -> tuple[list[list[dict]], tuple[int, int, int, int]] | None:
    """The region's transcribed lines grouped into rows (as the reader's targets are), and its box."""
    members = [line for line in page["lines"] if line["region"] == region["index"] and line["text"].strip()]
    if not members:
        return None
    polygon = np.asarray(region["polygon"], np.float32)
    x0, y0 = np.floor(polygon.min(0)).astype(int).clip(0)
    x1, y1 = np.ceil(polygon.max(0)).astype(int)
    items = []
    for line in members:
        points = np.asarray(line["polygon"], np.float32)
        item = _Line(line["text"].strip(), float(points[:, 0].min()), float(points[:, 0].max()),
                     float(points[:, 1].min()), float(points[:, 1].max()))
        item.source = line
        items.append(item)
    pitch = gt_pitch([i.centre for i in items], [i.y1 - i.y0 for i in items])
    rows = group_rows(items, pitch)
    return [[item.source for item in row] for row in rows], (int(x0), int(y0), int(x1), int(y1))


def oracle_bands(reader, crop, rows: list[list[dict]], top: int):
    """The reader's bands placed at the reference rows' centres (its attention made perfect)."""
    centres, heights = [], []
    for row in rows:
        ys = np.concatenate([np.asarray(line["polygon"], np.float32)[:, 1] for line in row])
        centres.append((ys.min() + ys.max()) / 2 - top)
        heights.append(float(ys.max() - ys.min()))
    pitch = gt_pitch(centres, heights)
    return read_bands(reader.lines, crop, centres, reader.network.config.band_half * pitch)


def clean(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the paragraph reader")
    parser.add_argument("--line-model", default=None, help="the line recognizer (default: the bundled one)")
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--pages", action="store_true", help="also whole pages (learned segmenter)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    reader, line_model = load_model(args.model), load_model(args.line_model)
    bands = reader.network.config.read_mode == "band"
    segmenter = load_segmenter("learned") if args.pages else None
    data = args.shared / "data" / "htr"
    block_rows, page_rows = [], []
    for name in args.sets.split(","):
        pages, split = pages_of(data, name)
        para, lines, found, expected, seconds, blocks = ErrorRate(), ErrorRate(), 0, 0, 0.0, 0
        oracle, every_row = ErrorRate(), ErrorRate()
        page_para, page_lines, page_ref = ErrorRate(), ErrorRate(), ErrorRate()
        for page in pages:
            gray = load_gray(data / name / page["image"])
            for region in page["regions"]:
                grouped = region_rows(page, region)
                if grouped is None:
                    continue
                rows, (x0, y0, x1, y1) = grouped
                truth = "\n".join(" ".join(clean(line["text"]) for line in row) for row in rows)
                start = time.perf_counter()
                read = reader.read_block(gray[y0:y1, x0:x1])
                seconds += time.perf_counter() - start
                # what `scriptio read --level block` writes: rows read as nothing or hardly believed are not text
                read = [item for item in read if reads_as_writing(item.result.text, item.result.confidence)]
                every_row.add(truth, "\n".join(clean(item.result.text) for item in read))
                if name in IGNORE_ABOVE_FIRST:
                    read = below_first_reference(read, [[(x - x0, y - y0) for x, y in line["polygon"]]
                                                        for row in rows for line in row])
                para.add(truth, "\n".join(clean(item.result.text) for item in read))
                reference = reference_page({"lines": [line for row in rows for line in row], "width": page["width"],
                                            "height": page["height"]})
                read_page(reference, gray, line_model)
                texts = iter(clean(line.text) for line in reference.lines)
                lines.add(truth, "\n".join(" ".join(next(texts) for _ in row) for row in rows))
                if bands:
                    oracle.add(truth, "\n".join(clean(result.text) for result, _ in
                                                oracle_bands(reader, gray[y0:y1, x0:x1], rows, y0)))
                found, expected, blocks = found + len(read), expected + len(rows), blocks + 1
            if segmenter is not None:
                whole = " ".join(clean(line["text"]) for line in page["lines"])
                page_ref.add(whole, page_text(read_page(reference_page(page), gray, line_model).lines))
                found_page = segmenter(gray, None)
                read_page(found_page, gray, line_model)
                page_lines.add(whole, page_text(scored_lines(flag_non_text(found_page), page, name)))
                found_page = segmenter(gray, None)
                read_blocks(found_page, gray, reader)
                page_para.add(whole, page_text(scored_lines(flag_non_text(found_page), page, name)))
        ratio = para.cer / lines.cer if lines.cer else float("nan")
        oracle_cell = f"{100 * oracle.cer:.2f}% | " if bands else ""
        block_rows.append(f"| {name} | {split} | {blocks} | {expected} | {found} | {100 * lines.cer:.2f}% | "
                          f"{oracle_cell}{100 * para.cer:.2f}% | {100 * every_row.cer:.2f}% | {ratio:.2f} | {seconds / max(blocks, 1):.2f} |")
        if segmenter is not None:
            page_rows.append(f"| {name} | {len(pages)} | {100 * page_ref.cer:.2f}% | {100 * page_lines.cer:.2f}% | "
                             f"{100 * page_para.cer:.2f}% |")
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    print(f"command: python benchmarks/paragraph.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    config = reader.network.config
    print(f"reader: read_mode {config.read_mode}" + (f", band_half {config.band_half}" if bands else "")
          + f", end threshold {config.stop_threshold}, reads on while ink is left: {config.continue_on_ink}\n")
    print("| set | split | blocks | rows | rows read | line recognizer on reference lines (CER) | "
          + ("line recognizer on bands at the reference centres | " if bands else "")
          + "paragraph reader (CER) | paragraph reader, all rows | ratio | s/block |")
    print("|---|---|---:|---:|---:|---:|" + ("---:|" if bands else "") + "---:|---:|---:|---:|")
    print("\n".join(block_rows))
    if page_rows:
        print("\n| set | pages | reference lines + line recognizer | learned segmenter + line recognizer | "
              "learned segmenter's regions + paragraph reader |")
        print("|---|---:|---:|---:|---:|")
        print("\n".join(page_rows))


if __name__ == "__main__":
    main()
