"""The web page at `/`, end to end in headless Chromium: a real uvicorn server reading with the
glyph model; the page uploads a drawn page, draws its lines over the image with their text beside
it, lets a line be corrected, and downloads PAGE XML holding the correction.

Chromium and its driver are Debian's `chromium` and `chromium-driver` (or $SCRIPTIO_CHROMIUM and
$SCRIPTIO_CHROMEDRIVER); when they are missing the test installs them with apt-get (as root), else
it is skipped saying how to install them.
Screenshots go to $SCRIPTIO_TEST_ARTIFACTS/browser, else runs/test-artifacts/browser (git-ignored).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree

from tests.glyphs import draw_text

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is missing: pip install -e '.[dev]'")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("SCRIPTIO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SCRIPTIO_CHROMEDRIVER", "/usr/bin/chromedriver")
APT_TIMEOUT_S = 900
ARTIFACTS = Path(os.environ.get("SCRIPTIO_TEST_ARTIFACTS") or Path(__file__).parents[2] / "runs" / "test-artifacts")
PAGE_NS = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
TEXTS = ["the cat sat", "on a mat", "dog ran to tea"]
THRESHOLD = 0.7  # the page's default for highlighting characters
CORRECTION = "dog ran to tea"


def _installed() -> bool:
    return Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()


def _apt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, timeout=APT_TIMEOUT_S,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """(browser, driver) paths, installed with apt-get when missing and possible."""
    if _installed():
        return CHROMIUM, CHROMEDRIVER
    how = "install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"no Chromium at {CHROMIUM} / {CHROMEDRIVER} and not root with apt-get: {how}")
    try:
        result = _apt("install", "-y", "chromium", "chromium-driver")
        if result.returncode != 0:  # a stale package list: refresh it once
            _apt("update")
            result = _apt("install", "-y", "chromium", "chromium-driver")
    except subprocess.TimeoutExpired:
        pytest.skip(f"apt-get took longer than {APT_TIMEOUT_S} s: {how}")
    if result.returncode != 0:
        pytest.skip(f"apt-get could not install Chromium ({result.stderr.strip()[-300:]}): {how}")
    if not _installed():
        pytest.skip(f"apt-get installed Chromium, yet {CHROMIUM} or {CHROMEDRIVER} is missing "
                    "(SCRIPTIO_CHROMIUM and SCRIPTIO_CHROMEDRIVER name other paths)")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def server(tmp_path, glyph_recognizer) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, in a thread, reading with the glyph model."""
    import uvicorn

    from scriptio.serve import ModelCatalog, ServeSettings, create_app

    settings = ServeSettings(db_url=f"sqlite:///{tmp_path / 'jobs.db'}", poll_s=0.05)
    catalog = ModelCatalog({"glyphs": glyph_recognizer}, segmenter="classic")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(settings, catalog), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture
def browser(chromium, tmp_path) -> Iterator[tuple[object, Path]]:
    """Headless Chromium saving downloads into a folder of the test's: (driver, download folder)."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = Options()
    options.binary_location = chromium[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=chromium[1]), options=options)
    except WebDriverException as error:
        pytest.skip(f"Chromium does not start here: {error.msg}")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver, downloads
    finally:
        driver.quit()


def _page_png(folder: Path) -> Path:
    """Glyph lines on a white page (the classic segmenter finds them; some characters read unsure)."""
    page = np.full((60 + 70 * len(TEXTS), 400), 255, np.uint8)
    for index, text in enumerate(TEXTS):
        line = draw_text(text)
        page[40 + index * 70: 40 + index * 70 + line.shape[0], 30:30 + line.shape[1]] = line
    path = folder / "letter.png"
    cv2.imwrite(str(path), page)
    return path


def _what_the_model_reads(image: Path, recognizer) -> list[dict]:
    """The lines the server's models read on this image, through the facade."""
    from scriptio import api
    from scriptio.export._common import line_text

    page = api.read(cv2.imread(str(image), cv2.IMREAD_GRAYSCALE), "page", recognizer=recognizer,
                    segmenter=api.load_segmenter("classic"))[0]
    return [{"text": line_text(line), "low": _low_chars(line, line_text(line))} for line in page.lines if line.is_text]


def _low_chars(line, text: str) -> int:
    """How many characters the page should mark: those under THRESHOLD, when the recognizer's
    characters spell the line's text once whitespace is collapsed (as the page aligns them)."""
    kept: list[tuple[str, float]] = []
    for span in line.result.chars if line.result else []:
        if span.char.isspace():
            if kept and kept[-1][0] != " ":
                kept.append((" ", 1.0))
        else:
            kept.append((span.char, span.confidence))
    while kept and kept[-1][0] == " ":
        kept.pop()
    if "".join(char for char, _ in kept) != text:
        return 0
    return sum(confidence < THRESHOLD for _, confidence in kept)


# The text of each line as shown, without the notes for screen readers.
SHOWN_TEXTS = """return Array.from(document.querySelectorAll('.line-text')).map((button) =>
  Array.from(button.childNodes).filter((node) => !(node.classList && (node.classList.contains('sr-only')
    || node.classList.contains('badge')))).map((node) => node.textContent).join(''));"""


def _screenshot(driver, name: str) -> None:
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / name))


def _downloaded(folder: Path, suffix: str, timeout_s: float = 15) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [path for path in folder.iterdir() if path.name.endswith(suffix)]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file downloaded; the folder holds {[p.name for p in folder.iterdir()]}")


def test_read_correct_and_download_page_xml(server, browser, glyph_recognizer, tmp_path):
    driver, downloads = browser
    image = _page_png(tmp_path)
    expected = _what_the_model_reads(image, glyph_recognizer.inner)
    assert len(expected) == len(TEXTS) and sum(line["low"] for line in expected) > 0
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(server + "/")
        # on a loaded machine the first page can still be loading when get() returns: wait for it
        wait.until(lambda d: d.title.startswith("scriptio") and d.find_elements(By.ID, "files"))
        driver.find_element(By.ID, "files").send_keys(str(image))

        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".upload.done, .upload.failed"))
        assert not driver.find_elements(By.CSS_SELECTOR, ".upload.failed"), driver.find_element(By.ID, "page-list").text
        shapes = driver.find_elements(By.CSS_SELECTOR, "svg .line-shape")
        assert len(shapes) == len(expected)
        assert driver.execute_script(SHOWN_TEXTS) == [line["text"] for line in expected]
        assert len(driver.find_elements(By.CSS_SELECTOR, ".line-text mark.low")) == sum(l["low"] for l in expected)
        assert "Done: 1 page read." in driver.find_element(By.ID, "status").text
        _screenshot(driver, "1-read.png")

        # Escape drops a change; a click on a line's outline opens its text for correction.
        driver.find_elements(By.CSS_SELECTOR, ".line-text")[0].click()
        field = driver.switch_to.active_element
        assert field.get_attribute("class") == "line-input"
        field.send_keys("nonsense", Keys.ESCAPE)
        assert driver.execute_script(SHOWN_TEXTS)[0] == expected[0]["text"]
        shapes[1].send_keys(Keys.ENTER)  # an outline is a keyboard control too
        assert driver.switch_to.active_element.get_attribute("aria-label").startswith("Text of line 2")
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)

        shapes[2].click()
        field = driver.switch_to.active_element
        assert field.get_attribute("class") == "line-input"
        assert "selected" in shapes[2].get_attribute("class")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(CORRECTION, Keys.ENTER)
        shown = driver.execute_script(SHOWN_TEXTS)
        assert shown == [expected[0]["text"], expected[1]["text"], CORRECTION]
        assert "edited" in driver.find_elements(By.CSS_SELECTOR, "li.line")[2].get_attribute("class")
        _screenshot(driver, "2-corrected.png")

        driver.find_element(By.CSS_SELECTOR, ".downloads button[data-format='page']").click()
        document = etree.parse(str(_downloaded(downloads, ".page.xml")))
        texts = [line.findtext(f"{PAGE_NS}TextEquiv/{PAGE_NS}Unicode") for line in document.iter(f"{PAGE_NS}TextLine")]
        assert texts == shown
        assert document.find(f".//{PAGE_NS}Page").get("imageFilename") == "letter.png"
        problems = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not problems, problems  # a script error, a refused resource (CSP), a failed request
    except Exception:
        _screenshot(driver, "failure.png")
        raise
