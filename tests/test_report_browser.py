"""The report in Debian's headless Chromium (images, no request out, axe-core, A4 print), and its PDF.

The report is written by the real `clickable stats report` on the generated two-month campaign
(tests/trends_data.py), with a period, its comparison and targets.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_landing_browser import AXE, CHROMEDRIVER, CHROMIUM
from .trends_data import Generated, generate, report_data

needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and AXE.is_file()),
    reason="needs Debian's chromium and chromium-driver, and `npm install axe-core` (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    folder = tmp_path_factory.mktemp("report")
    return generate(folder, f"sqlite:///{folder / 'report.db'}")


@pytest.fixture(scope="module")
def report(campaign: Generated) -> Path:
    target = campaign.folder / "rapport.html"
    campaign.run("stats", "report", "--out", str(target), "--since", "2025-04-01", "--until", "2025-04-30", "--suppress-below", "3")
    return target


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def summary_of(html: str) -> list[str]:
    from html import unescape

    section = re.search(r'<section class="summary".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    return [normalised(unescape(sentence)) for sentence in re.findall(r"<p>(.*?)</p>", section, re.S)]


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1100,900",
                     f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def requested_urls(browser: Any, page: str) -> list[str]:
    """Every request the browser sent for ``page`` (the browser's own start page left aside)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent" and message["params"].get("documentURL") == page:
            urls.append(message["params"]["request"]["url"])
    return urls


@needs_browser
def test_every_chart_loads_and_no_request_leaves_the_page(report: Path, driver: Any) -> None:
    driver.get(report.as_uri())
    images = driver.execute_script(
        "return [...document.images].map(i => [i.complete, i.naturalWidth, i.alt, i.src.slice(0, 22)])"
    )
    assert len(images) >= 6
    for complete, width, alt, source in images:
        assert complete and width > 0 and alt and source == "data:image/png;base64,", (alt, source)
    urls = requested_urls(driver, report.as_uri())
    assert urls[0] == report.as_uri()
    assert all(url.startswith("data:image/png;base64,") for url in urls[1:]), [url[:60] for url in urls]
    assert driver.execute_script("return performance.getEntriesByType('resource').filter(e => !e.name.startsWith('data:')).length") == 0
    sections = driver.execute_script("return [...document.querySelectorAll('section.chapter')].map(s => s.id)")
    assert sections[:3] == ["objectifs", "comparaison", "evolution"]


@needs_browser
def test_axe_finds_no_serious_or_critical_violation_in_the_report(report: Path, driver: Any) -> None:
    driver.get(report.as_uri())
    driver.execute_script(AXE.read_text("utf-8"))
    result = driver.execute_async_script("const done = arguments[arguments.length - 1]; axe.run().then(done);")
    serious = [(item["id"], item["impact"]) for item in result["violations"] if item["impact"] in ("serious", "critical")]
    assert serious == []


@needs_browser
def test_the_report_reads_on_a_phone_without_sideways_scrolling(report: Path, driver: Any) -> None:
    driver.set_window_size(390, 844)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    driver.get(report.as_uri())
    assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@needs_browser
def test_printed_on_a4_each_chapter_starts_a_page_and_charts_stay_whole(report: Path, driver: Any) -> None:
    from pypdf import PdfReader

    driver.get(report.as_uri())
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    styles = driver.execute_script(
        "const s = e => getComputedStyle(e);"
        "return {chapters: [...document.querySelectorAll('.chapter')].map(e => s(e).breakBefore),"
        " figures: [...document.querySelectorAll('figure')].map(e => s(e).breakInside),"
        " rows: s(document.querySelector('tbody tr')).breakInside}"
    )
    assert set(styles["chapters"]) == {"page"} and set(styles["figures"]) == {"avoid"} and styles["rows"] == "avoid"
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False})
    pdf = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4, in mm
    assert len(pdf.pages) >= 1 + len(styles["chapters"])
    text = normalised(" ".join(page.extract_text() for page in pdf.pages))
    assert summary_of(report.read_text("utf-8"))[0] in text


def test_pdf_report_holds_the_summary(campaign: Generated) -> None:
    from pypdf import PdfReader

    target = campaign.folder / "rapport.pdf"
    result = campaign.run("stats", "report", "--pdf", "--out", str(target), "--since", "2025-04-01", "--until", "2025-04-30")
    assert "rapport.pdf" in result.stdout
    html_target = campaign.folder / "meme-rapport.html"
    campaign.run("stats", "report", "--out", str(html_target), "--since", "2025-04-01", "--until", "2025-04-30")
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) >= 2
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = normalised(" ".join(page.extract_text() for page in pdf.pages))
    summary = summary_of(html_target.read_text("utf-8"))
    assert len(summary) >= 5
    for sentence in summary:
        assert sentence in text, sentence
    assert "Territoires en retard sur leurs objectifs" in text
    images = sum(len(page.images) for page in pdf.pages)
    assert images >= 6  # every chart of the HTML report
    assert b"/URI" not in data  # nothing to fetch: no link out of the document
    assert report_data(html_target.read_text("utf-8"))["period"] == {"since": "2025-04-01", "until": "2025-04-30", "dates": "local"}
