"""The landing page in Debian's headless Chromium: rendering, quick exit, no JavaScript, axe-core."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from campaign.checks import check_file
from campaign.db import Database
from cli import app
from engagement.landing import NUMBER_IN_TEXT, LandingSite, digits_of, is_phone_number
from networks.registry import registry

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(
    os.environ.get(
        "CLICKABLE_AXE_PATH", Path(__file__).parent.parent / "node_modules" / "axe-core" / "axe.min.js"
    )
)
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and AXE.is_file()),
    reason="needs Debian's chromium and chromium-driver, and `npm install axe-core` (.ci/run installs them)",
)


@dataclass
class Served:
    url: str
    site: LandingSite


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from datetime import date

    from campaign.example import write_example

    folder = tmp_path_factory.mktemp("browser") / "campaign"
    write_example(folder, today=date.today())
    text = (folder / "campaign.yaml").read_text("utf-8")
    (folder / "campaign.yaml").write_text(
        text.replace("  channels:", '  neutral_url: "https://127.0.0.1:1/neutre"\n  channels:', 1), "utf-8"
    )
    url = f"sqlite:///{folder / 'browser.db'}"
    assert (
        CliRunner()
        .invoke(app, ["campaign", "load"], env={"CLICKABLE_HOME": str(folder), "CLICKABLE_DATABASE_URL": url})
        .exit_code
        == 0
    )
    report = check_file(folder / "campaign.yaml", networks=registry())
    assert report.campaign is not None
    database = Database(url)
    site = LandingSite(report.campaign, database)
    server = uvicorn.Server(
        uvicorn.Config(site.app(), host="127.0.0.1", port=0, access_log=False, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Served(f"http://127.0.0.1:{port}", site)
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


def browser(tmp_path: Path, *, javascript: bool = True):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=412,915",
                     f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    if not javascript:
        options.add_argument("--blink-settings=scriptEnabled=false")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_each_territory_page_renders(served: Served, tmp_path: Path) -> None:
    driver = browser(tmp_path)
    try:
        for key, territory in served.site.campaign.territories.items():
            driver.get(f"{served.url}/t/{key}")
            assert territory.name in driver.find_element("css selector", ".territory").text
            assert driver.find_element("id", "quick-exit").is_displayed()
            assert driver.find_elements("css selector", ".channel")
    finally:
        driver.quit()


def test_quick_exit_leaves_no_history_entry(served: Served, tmp_path: Path) -> None:
    driver = browser(tmp_path)
    try:
        driver.get(f"{served.url}/")
        driver.get(f"{served.url}/t/fr")
        length = driver.execute_script("return history.length")
        driver.find_element("id", "quick-exit").click()
        deadline = time.time() + 10
        while "/t/fr" in driver.current_url and time.time() < deadline:
            time.sleep(0.1)
        assert "/t/fr" not in driver.current_url
        assert driver.execute_script("return history.length") == length  # replaced, not added
        driver.back()
        time.sleep(0.5)
        assert (
            driver.current_url.rstrip("/") == served.url
        )  # back goes to the page before, never to the help page
    finally:
        driver.quit()


def test_escape_twice_also_leaves(served: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = browser(tmp_path)
    try:
        driver.get(f"{served.url}/t/re")
        ActionChains(driver).send_keys(Keys.ESCAPE).send_keys(Keys.ESCAPE).perform()
        deadline = time.time() + 10
        while "/t/re" in driver.current_url and time.time() < deadline:
            time.sleep(0.1)
        assert "/t/re" not in driver.current_url
    finally:
        driver.quit()


def test_works_without_javascript(served: Served, tmp_path: Path) -> None:
    driver = browser(tmp_path, javascript=False)
    try:
        driver.get(f"{served.url}/t/nc")
        assert "05 44 44" in driver.page_source
        link = driver.find_element("id", "quick-exit")
        assert (
            link.get_attribute("href") == "https://127.0.0.1:1/neutre"
        )  # a plain link still takes the visitor away
        assert driver.find_element("css selector", "a[href='tel:054444']").is_displayed()
    finally:
        driver.quit()


def test_utm_parameters_leave_the_address_bar(served: Served, tmp_path: Path) -> None:
    served.site.load_targets()
    code, target = next(iter(served.site.targets.items()))
    driver = browser(tmp_path)
    try:
        driver.get(f"{served.url}/r/{code}")
        time.sleep(0.3)
        assert driver.current_url == f"{served.url}/t/{target.territory}"
    finally:
        driver.quit()


def test_axe_finds_no_serious_or_critical_violation(served: Served, tmp_path: Path) -> None:
    script = AXE.read_text("utf-8")
    driver = browser(tmp_path)
    try:
        for path in ("/", "/t/fr", "/t/nc", "/t/pf", "/r/zzzz9999"):
            driver.get(f"{served.url}{path}")
            driver.execute_script(script)
            result = driver.execute_async_script(
                "const done = arguments[arguments.length - 1]; axe.run().then(done);"
            )
            serious = [
                (item["id"], item["impact"])
                for item in result["violations"]
                if item["impact"] in ("serious", "critical")
            ]
            assert serious == [], (path, serious)
    finally:
        driver.quit()


TEXTS_AND_DIALS = """
const dials = (element) => element ? [...element.querySelectorAll('a[href^="tel:"], a[href^="sms:"]')]
    .map((a) => a.getAttribute("href").slice(4)) : [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const found = [];
while (walker.nextNode()) {
  const node = walker.currentNode, parent = node.parentElement;
  if (!node.textContent.trim() || !parent.checkVisibility()) continue;
  const link = parent.closest('a[href^="tel:"], a[href^="sms:"]');
  found.push([node.textContent, link ? [link.getAttribute("href").slice(4)] : [], dials(parent.closest(".channel"))]);
}
return [found, dials(document.body)];
"""


def test_every_number_shown_can_be_called_and_only_where_it_is_listed(served: Served, tmp_path: Path) -> None:
    """Each phone number a visitor sees is a tel:/sms: link, or sits in the card of its own buttons;
    the index offers only what is valid in every territory; a page only its territory's channels."""
    campaign = served.site.campaign
    channels = campaign.landing.channels

    def listed(key: str | None) -> set[str]:
        return {
            digits_of(channel.phone or channel.sms or "")
            for channel in channels.values()
            if channel.territories is None
            or (
                set(campaign.territories) <= set(channel.territories)
                if key is None
                else key in channel.territories
            )
        }

    driver = browser(tmp_path)
    try:
        pages: list[tuple[str, str | None]] = [("/", None), ("/r/zzzz9999", None)]
        pages += [(f"/t/{key}", key) for key in campaign.territories]
        for path, key in pages:
            driver.get(f"{served.url}{path}")
            texts, dials = driver.execute_script(TEXTS_AND_DIALS)
            for text, link, card in texts:
                for match in NUMBER_IN_TEXT.finditer(text):
                    if is_phone_number(match.group()):
                        reachable = digits_of(match.group()) in (link or card)
                        assert reachable, (path, match.group(), text)
            assert dials and set(dials) <= listed(key), (path, dials)
        driver.get(f"{served.url}/")
        assert "114" not in driver.find_element("tag name", "main").text  # not offered everywhere
    finally:
        driver.quit()
