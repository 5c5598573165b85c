"""`scriptio read` over folders: a rerun resumes (finished outputs skipped and counted), an
interrupted write leaves nothing under the output's name, and --workers / --ray read the same
text as one process, in the same order."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import scriptio.cli.common as common
from scriptio.atomic import atomic_target
from scriptio.cli import app
from tests.cli.test_pages import page_texts, render_page
from tests.glyphs import write_glyph_folder

runner = CliRunner()
TEXTS = ["the cat sat", "on a mat", "dog", "ten", "eat at net", "a tea", "ran to", "the dog ate", "net", "cat"]


def read(*args) -> object:
    return runner.invoke(app, ["read", *(str(arg) for arg in args)])


def texts_in(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def skipped_note(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("skipped ")]


@pytest.fixture
def glyph_lines(tmp_path) -> Path:
    folder = tmp_path / "lines"
    write_glyph_folder(folder, [(text, None) for text in TEXTS[:3]])
    return folder


def test_a_rerun_over_a_folder_skips_finished_outputs_and_says_how_many(glyph_model_path, glyph_lines, tmp_path):
    out = tmp_path / "out"
    first = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, glyph_lines)
    assert first.exit_code == 0, first.output
    assert not skipped_note(first)
    (out / "line0000.txt").write_text("corrected by hand\n", encoding="utf-8")
    (out / "line0002.txt").unlink()

    again = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, glyph_lines)
    assert again.exit_code == 0, again.output
    assert skipped_note(again) == [f"skipped 2 of 3 inputs: their output already exists in {out} "
                                   "(give --overwrite to read them again)"]
    assert not [line for line in again.output.splitlines() if line.startswith("error:")]
    assert texts_in(out) == {"line0000.txt": "corrected by hand\n", "line0001.txt": "on a mat\n",
                             "line0002.txt": "dog\n"}

    replaced = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, "--overwrite", glyph_lines)
    assert replaced.exit_code == 0 and not skipped_note(replaced)
    assert texts_in(out)["line0000.txt"] == "the cat sat\n"


def test_an_interrupted_run_leaves_no_partial_output_and_the_rerun_completes_it(
        glyph_model_path, glyph_lines, tmp_path, monkeypatch):
    written = common.write_bytes_atomic

    def killed_while_writing_the_second(path: Path, data: bytes) -> None:
        if path.stem == "line0001":
            with atomic_target(path) as temp:
                temp.write_bytes(data[:2])
                raise KeyboardInterrupt
        written(path, data)

    monkeypatch.setattr(common, "write_bytes_atomic", killed_while_writing_the_second)
    out = tmp_path / "out"
    interrupted = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, glyph_lines)
    assert interrupted.exit_code == 130, interrupted.output  # as the command line exits on Ctrl-C
    assert [p.name for p in out.iterdir()] == ["line0000.txt"]  # no half file, under any name

    monkeypatch.setattr(common, "write_bytes_atomic", written)
    resumed = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, glyph_lines)
    assert resumed.exit_code == 0, resumed.output
    assert skipped_note(resumed)[0].startswith("skipped 1 of 3 inputs")
    assert texts_in(out) == {"line0000.txt": "the cat sat\n", "line0001.txt": "on a mat\n", "line0002.txt": "dog\n"}


def test_files_named_one_by_one_are_still_kept_and_reported(glyph_model_path, glyph_lines, tmp_path):
    """Resuming is for folders and manifests: a file the user names and whose output exists is
    an error, as before (tests/faults/test_outputs.py)."""
    out = tmp_path / "out"
    image = sorted(glyph_lines.glob("*.png"))[0]
    assert read("--level", "line", "--model", glyph_model_path, "--output-dir", out, image).exit_code == 0
    again = read("--level", "line", "--model", glyph_model_path, "--output-dir", out, image)
    assert again.exit_code == 1 and "already exists" in again.output and not skipped_note(again)


def test_page_folders_resume_page_by_page(tiny_model_path, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for seed in (1, 2):
        Image.fromarray(render_page(seed, 2)).save(pages / f"page{seed}.png")
    out = tmp_path / "out"
    args = ("--model", tiny_model_path, "--segmenter", "classic", "--format", "json", "--output-dir", out, pages)
    assert read(*args).exit_code == 0
    (out / "page2.json").unlink()
    again = read(*args)
    assert again.exit_code == 0, again.output
    assert skipped_note(again)[0].startswith("skipped 1 of 2 pages")
    assert sorted(p.name for p in out.iterdir()) == ["page1.json", "page2.json"]


def test_workers_read_the_same_text_in_the_same_order_as_one_process(glyph_model_path, tmp_path):
    folder = tmp_path / "lines"
    write_glyph_folder(folder, [(text, None) for text in TEXTS])
    one = read("--level", "line", "--model", glyph_model_path, folder)
    two = read("--level", "line", "--model", glyph_model_path, "--workers", "2", folder)
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert one.stdout.splitlines() == [f"line{i:04d}\t{text}" for i, text in enumerate(TEXTS)]
    assert two.stdout == one.stdout


def test_workers_read_pages_as_one_process_does(tiny_model_path, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for seed in (1, 2, 3):
        Image.fromarray(render_page(seed, 2)).save(pages / f"page{seed}.png")
    results = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = read("--model", tiny_model_path, "--segmenter", "classic", "--format", "json", "--workers", workers,
                      "--output-dir", out, pages)
        assert result.exit_code == 0, result.output
        results[workers] = {name: json.loads(text) for name, text in texts_in(out).items()}
    assert list(results["1"]) == ["page1.json", "page2.json", "page3.json"]
    assert results["2"] == results["1"]
    assert len(page_texts(1, 2)) == sum(len(r["lines"]) for r in results["1"]["page1.json"]["regions"])


def test_workers_below_one_are_refused_up_front(glyph_model_path, glyph_lines, tmp_path):
    result = read("--level", "line", "--model", glyph_model_path, "--workers", "0", "--output-dir",
                  tmp_path / "out", glyph_lines)
    assert result.exit_code == 2 and "--workers 0" in result.output
    assert not (tmp_path / "out").exists()


def test_ray_missing_is_one_line_naming_the_extra(glyph_model_path, glyph_lines, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if not installed
    result = read("--level", "line", "--model", glyph_model_path, "--ray", "local", glyph_lines)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "pip install 'scriptio[cluster]'" in errors[0], result.output
    assert "Traceback" not in result.output


def test_a_local_ray_cluster_of_two_workers_reads_as_one_process(glyph_model_path, tmp_path):
    folder = tmp_path / "lines"
    write_glyph_folder(folder, [(text, None) for text in TEXTS])
    one = read("--level", "line", "--model", glyph_model_path, "--output-dir", tmp_path / "one", folder)
    ray = read("--level", "line", "--model", glyph_model_path, "--ray", "local", "--workers", "2",
               "--output-dir", tmp_path / "ray", folder)
    assert one.exit_code == 0 and ray.exit_code == 0, ray.output
    assert texts_in(tmp_path / "ray") == texts_in(tmp_path / "one")
    assert list(texts_in(tmp_path / "one").values()) == [text + "\n" for text in TEXTS]


def test_a_ray_address_where_nothing_answers_is_one_line_at_once(glyph_model_path, glyph_lines):
    import socket

    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for address, needle in ((f"127.0.0.1:{port}", "nothing answers"), ("head-node", "host:port")):
        result = read("--level", "line", "--model", glyph_model_path, "--ray", address, glyph_lines)
        assert result.exit_code == 2, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and needle in errors[0] and f"--ray {address}" in errors[0], result.output
