"""`scriptio export --onnx MODEL --out FILE.onnx`: a recognizer's network as an ONNX graph."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import fail, user_errors


def export(
    model: Optional[str] = typer.Argument(None, help="model file or bundled name (default: the bundled model)"),
    onnx: bool = typer.Option(False, "--onnx", help="export to ONNX (the one format so far)"),
    out: Path = typer.Option(..., "--out", help="the .onnx file to write"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace --out if it exists"),
) -> None:
    """Export a neural recognizer (ctc, ctc-frames, hybrid) to ONNX: its input tensor in, per-frame
    log-posteriors out, batch and width dynamic; its metadata says how to normalize and decode."""
    if not onnx:
        fail("choose an export format: --onnx")
    if out.is_dir():
        fail(f"{out} is a folder; give the .onnx file to write")
    if out.exists() and not overwrite:
        fail(f"{out} exists; give a new file name or --overwrite")
    from scriptio.models.onnx_export import export_onnx

    with user_errors():
        interface = export_onnx(model, out)
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {interface['inputs'][0]} -> logprobs; "
               f"onnxruntime matches PyTorch to {interface['max_abs_difference']:.1g} on test lines of new widths")
