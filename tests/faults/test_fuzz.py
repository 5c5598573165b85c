"""Property-based fuzzing of what reads untrusted bytes: the PAGE and ALTO readers and the image
loader end in a `scriptio.errors` error or a valid result, never in anything else."""
from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from scriptio.data.alto import read_alto
from scriptio.data.pagexml import read_page_xml
from scriptio.errors import ScriptioError
from scriptio.image.io import MAX_SIDE, MIN_SIDE, load_gray
from scriptio.types import LineRecord

# Deterministic: the same examples every run (a failure is reproducible); no example database
# written into the working tree.
FUZZ = settings(max_examples=500, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
  <Page imageFilename="page.png" imageWidth="200" imageHeight="100">
    <ReadingOrder><OrderedGroup id="ro"><RegionRefIndexed index="0" regionRef="r1"/></OrderedGroup></ReadingOrder>
    <TextRegion id="r1">
      <Coords points="0,0 200,0 200,100 0,100"/>
      <TextLine id="l1">
        <Coords points="10,10 190,10 190,40 10,40"/>
        <Baseline points="10,35 190,35"/>
        <TextEquiv index="0"><Unicode>first line</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l2">
        <Coords><Point x="10" y="50"/><Point x="190" y="50"/><Point x="190" y="90"/></Coords>
        <Word id="w"><TextEquiv><Unicode>second</Unicode></TextEquiv></Word>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""

ALTO = b"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description>
    <MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>page.png</fileName></sourceImageInformation>
  </Description>
  <Layout>
    <Page ID="p1" WIDTH="200" HEIGHT="100">
      <PrintSpace>
        <TextBlock ID="b1">
          <TextLine ID="t1" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20" BASELINE="10,28 110,26">
            <Shape><Polygon POINTS="10,10 110,12 110,30 10,30"/></Shape>
            <String CONTENT="one"/><SP/><String CONTENT="two"/><HYP CONTENT="-"/>
          </TextLine>
          <TextLine ID="t2" HPOS="10" VPOS="40" WIDTH="100" HEIGHT="20" BASELINE="57"/>
        </TextBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""

# Values that have broken readers before: odd numbers, odd point lists, odd text.
ODD_VALUES = st.sampled_from(["", " ", "nan", "inf", "-inf", "1e999", "-5", "0", "3.5", "1,2", "1,2 3",
                              "1,2 3,4", "1,2 3,4 5,6", "a,b c,d", "1 2 3 4 5 6", "99999,99999 1e9,0 0,1e9",
                              "-10,-10 -5,-10 -5,-5", "mm10", "inch1200", "\u00e9", "x" * 300, "0x10", "1_0"])


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed document with attribute values swapped for odd ones, byte spans replaced,
    deleted or duplicated, or cut short."""
    def swap_values(data: bytes, picks: list[tuple[int, str]]) -> bytes:
        parts = data.split(b'"')
        for index, value in picks:
            slot = 1 + 2 * (index % max(1, len(parts) // 2))
            if slot < len(parts):
                parts[slot] = value.encode("utf-8")
        return b'"'.join(parts)

    def splice(data: bytes, start: int, length: int, insert: bytes) -> bytes:
        start %= len(data) + 1
        return data[:start] + insert + data[start + length:]

    valued = st.builds(swap_values, st.just(seed), st.lists(st.tuples(st.integers(0, 200), ODD_VALUES),
                                                            min_size=1, max_size=6))
    spliced = st.builds(splice, st.just(seed), st.integers(0, len(seed)), st.integers(0, 40),
                        st.binary(max_size=20) | st.sampled_from([b"<", b">", b"</", b'"', b"&", b"&amp;",
                                                                  b"<!DOCTYPE x [<!ENTITY e 'e'>]>", b"\x00",
                                                                  b"\xff\xfe", b"<TextLine>", b"</TextRegion>"]))
    truncated = st.builds(lambda data, end: data[:end], st.just(seed), st.integers(0, len(seed)))
    return st.one_of(valued, spliced, truncated, st.binary(max_size=300))


def assert_valid(records: list[LineRecord]) -> None:
    """What every caller of a reader relies on: lines with a polygon of 3 finite points or more."""
    assert isinstance(records, list)
    for record in records:
        assert isinstance(record, LineRecord) and record.id
        assert record.polygon and len(record.polygon) >= 3
        points = [*record.polygon, *(record.baseline or [])]
        assert all(math.isfinite(x) and math.isfinite(y) for x, y in points)
        assert record.text is None or isinstance(record.text, str)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    Image.new("L", (200, 100), 255).save(folder / "page.png")
    return folder


def read_or_refuse(reader, folder: Path, data: bytes) -> None:
    path = folder / "doc.xml"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = reader(path)
    except ScriptioError:
        return
    assert_valid(records)


@FUZZ
@given(data=mutations(PAGE))
def test_page_reader_refuses_or_reads(folder, data):
    read_or_refuse(read_page_xml, folder, data)


@FUZZ
@given(data=mutations(ALTO))
def test_alto_reader_refuses_or_reads(folder, data):
    read_or_refuse(read_alto, folder, data)


def encoded_images() -> list[bytes]:
    """Small valid images in the formats Pillow is most often handed."""
    rng = np.random.default_rng(0)
    gray = Image.fromarray(rng.integers(0, 256, (12, 16), dtype=np.uint8))
    out = []
    for image, fmt, options in ((gray, "PNG", {}), (gray, "JPEG", {}), (gray, "TIFF", {}), (gray, "BMP", {}),
                                (gray, "GIF", {}), (gray.convert("RGBA"), "PNG", {}), (gray, "WEBP", {}),
                                (gray.convert("I;16"), "TIFF", {}), (gray, "TIFF", {"compression": "tiff_lzw"})):
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        out.append(buffer.getvalue())
    return out


def image_mutations() -> st.SearchStrategy[bytes]:
    def mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
        array = bytearray(data)
        for position, value in edits:
            array[position % len(array)] = value
        return bytes(array)

    seeds = st.sampled_from(encoded_images())
    flipped = st.builds(mutate, seeds, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                min_size=1, max_size=8))
    truncated = st.builds(lambda data, end: data[:end % (len(data) + 1)], seeds, st.integers(0, 10_000))
    return st.one_of(flipped, truncated, st.binary(max_size=200))


@FUZZ
@given(data=image_mutations())
def test_image_loader_refuses_or_loads(data):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gray = load_gray(data)
    except ScriptioError:
        return
    assert isinstance(gray, np.ndarray) and gray.dtype == np.uint8 and gray.ndim == 2
    assert MIN_SIDE <= min(gray.shape) and max(gray.shape) <= MAX_SIDE
