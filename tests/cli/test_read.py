"""`scriptio read --level line`: outputs, and every bad input reported without stopping the rest."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from scriptio.cli import app
from tests.glyphs import draw_text, write_glyph_folder

runner = CliRunner()


def read(*args: str):
    return runner.invoke(app, ["read", "--level", "line", *args])


def test_reads_folder_into_one_text_file_per_image(glyph_model_path, tmp_path):
    texts = ["the cat sat", "on a mat", "dog"]
    folder = tmp_path / "lines"
    write_glyph_folder(folder, [(text, None) for text in texts])
    out = tmp_path / "out"
    result = read("--model", str(glyph_model_path), "--output-dir", str(out), str(folder))
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["line0000.txt", "line0001.txt", "line0002.txt"]
    assert [(out / name).read_text(encoding="utf-8") for name in written] == [text + "\n" for text in texts]


def test_line_images_without_output_dir_print_name_and_text(glyph_model_path, tmp_path):
    paths = write_glyph_folder(tmp_path / "lines", [("ten", None), ("eat", None)])
    result = read("--model", str(glyph_model_path), *(str(p) for p in reversed(paths)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["line0001\teat", "line0000\tten"]  # the order given


def make_bad_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    bad = {
        "missing": folder / "missing.png",
        "empty": folder / "empty.png",
        "corrupt": folder / "corrupt.jpg",
        "not_image": folder / "notes.png",
        "tiny": folder / "tiny.png",
        "huge": folder / "huge.png",
    }
    bad["empty"].write_bytes(b"")
    bad["corrupt"].write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # JPEG header, then nothing
    bad["not_image"].write_text("this is not a picture", encoding="utf-8")
    Image.new("L", (1, 1), 255).save(bad["tiny"])
    Image.new("L", (30000, 8), 255).save(bad["huge"])
    return bad


def test_bad_inputs_each_give_one_line_naming_the_file_and_the_rest_are_read(tiny_model_path, line_folder, tmp_path):
    bad = make_bad_inputs(tmp_path / "bad")
    out = tmp_path / "out"
    good = sorted(line_folder.glob("*.png"))
    args = [str(good[0]), *(str(p) for p in bad.values()), str(good[1])]
    result = read("--model", str(tiny_model_path), "--output-dir", str(out), *args)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == len(bad)
    for path in bad.values():
        assert sum(str(path) in line for line in errors) == 1, (path, errors)
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == [good[0].stem + ".txt", good[1].stem + ".txt"]


def test_outputs_written_before_a_failure_stay(tiny_model_path, line_folder, tmp_path):
    out = tmp_path / "out"
    first = sorted(line_folder.glob("*.png"))[0]
    assert read("--model", str(tiny_model_path), "--output-dir", str(out), str(first)).exit_code == 0
    before = (out / f"{first.stem}.txt").read_text(encoding="utf-8")
    result = read("--model", str(tiny_model_path), "--output-dir", str(out), str(tmp_path / "nope.png"))
    assert result.exit_code == 1
    assert (out / f"{first.stem}.txt").read_text(encoding="utf-8") == before


def test_wrong_model_file_is_one_line_error(line_folder, tmp_path):
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"definitely not safetensors")
    result = read("--model", str(fake), str(line_folder))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert str(fake) in result.output and "Traceback" not in result.output
    missing = read("--model", str(tmp_path / "none.safetensors"), str(line_folder))
    assert missing.exit_code == 2 and "none.safetensors" in missing.output


def test_debug_dir_gets_before_and_after_images(tiny_model_path, line_folder, tmp_path):
    debug = tmp_path / "debug"
    first = sorted(line_folder.glob("*.png"))[0]
    result = read("--model", str(tiny_model_path), "--debug-dir", str(debug), str(first))
    assert result.exit_code == 0, result.output
    before = np.asarray(Image.open(debug / f"{first.stem}.before.png"))
    after = np.asarray(Image.open(debug / f"{first.stem}.after.png"))
    assert after.shape[0] == 32  # the tiny model's line height
    assert before.shape == np.asarray(Image.open(first)).shape


PAGE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
  <Page imageFilename="page.png" imageWidth="400" imageHeight="200">
    <ReadingOrder><OrderedGroup id="ro">
      <RegionRefIndexed index="0" regionRef="r2"/><RegionRefIndexed index="1" regionRef="r1"/>
    </OrderedGroup></ReadingOrder>
    <TextRegion id="r1"><Coords points="0,0 400,0 400,200 0,200"/>
      <TextLine id="l1"><Coords points="12,22 387,22 387,49 12,49"/></TextLine>
    </TextRegion>
    <TextRegion id="r2"><Coords points="0,100 400,100 400,200 0,200"/>
      <TextLine id="l2"><Coords points="12,112 387,112 387,139 12,139"/></TextLine>
    </TextRegion>
  </Page>
</PcGts>"""


def test_page_xml_input_gives_one_text_file_with_a_line_per_text_line(glyph_model_path, tmp_path):
    """Each PAGE line is cut from the page by its polygon and read, in the file's reading order
    (here bottom line first: the ReadingOrder says so, not the geometry)."""
    page = np.full((200, 400), 255, np.uint8)
    for top, text in ((20, "the cat sat"), (110, "on a mat")):
        drawn = draw_text(text)
        page[top:top + drawn.shape[0], 10:10 + drawn.shape[1]] = drawn
    Image.fromarray(page).save(tmp_path / "page.png")
    (tmp_path / "page.xml").write_text(PAGE_XML, encoding="utf-8")
    out = tmp_path / "out"
    result = read("--model", str(glyph_model_path), "--output-dir", str(out), str(tmp_path / "page.xml"))
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["page.txt"]
    assert (out / "page.txt").read_text(encoding="utf-8") == "on a mat\nthe cat sat\n"
