"""`clickable post preview`: each variant as each network shows it, rules from the registry's specs;
approving what was previewed. The page is opened in Debian's headless Chromium at a phone's size."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from campaign.db import Database
from campaign.models import Approval, Campaign, Post, Preview
from campaign.store import get_post
from cli import app
from engagement.preview import build_previews, cut_for_feed, segments
from networks.registry import registry

from .test_landing_browser import AXE, CHROMEDRIVER, CHROMIUM

needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and AXE.is_file()),
    reason="needs Debian's chromium and chromium-driver, and `npm install axe-core` (.ci/run installs them)",
)


class Workspace:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = f"sqlite:///{folder / 'preview.db'}"
        self.env = {"CLICKABLE_HOME": str(folder), "CLICKABLE_DATABASE_URL": self.url}

    def run(self, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exit_code == code, result.output
        return result

    def session(self) -> Iterator[Session]:
        database = Database(self.url)
        with Session(database.engine) as session:
            yield session
        database.dispose()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The example campaign, loaded, with its sextortion capsule really rendered (poster included)."""
    from datetime import date

    from campaign.example import write_example

    folder = tmp_path_factory.mktemp("preview") / "campaign"
    write_example(folder, today=date.today())
    workspace = Workspace(folder)
    workspace.run("campaign", "load")
    workspace.run("capsule", "render", str(folder / "capsules" / "sextorsion.yaml"), "--format", "vertical")
    return workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    from datetime import date

    from campaign.example import write_example

    folder = tmp_path / "campaign"
    write_example(folder, today=date.today())
    workspace = Workspace(folder)
    workspace.run("campaign", "load")
    return workspace


def test_x_shows_the_link_as_its_display_url_and_counts_23(workspace: Workspace) -> None:
    spec = registry()["x"]
    for session in workspace.session():
        campaign = session.exec(select(Campaign)).one()
        post = get_post(session, campaign.id, "p01-lancement")
        preview = build_previews(session, campaign, [post], registry())[0]
    x = next(item for item in preview.variants if item.network == "X")
    link = next(piece for piece in x.whole if piece.link)
    bare = link.address.removeprefix("https://")
    assert link.text == bare[: spec.text.link_shown] + "…" and len(link.text) == spec.text.link_shown + 1
    assert x.link_counts == 23 and x.length == spec.measure_text("".join(p.address or p.text for p in x.whole)).length
    assert x.cut is False  # X shows a post whole
    # the estimated cost comes from X's prices: a post with a link in each territory, and four readings each
    deliveries = len(x.territories)
    prices = spec.prices
    assert prices is not None and prices.post_with_url is not None and prices.read is not None
    total = deliveries * prices.post_with_url + 4 * deliveries * prices.read
    assert x.cost == f"{total:.2f}".replace(".", ",") + "\u00a0$"
    facebook = next(item for item in preview.variants if item.network == "Facebook")
    assert facebook.cut and facebook.more_label == registry()["facebook"].text.more_label == "… Voir plus"
    assert sum(len(piece.text) for piece in facebook.shown) <= registry()["facebook"].text.feed_cut  # type: ignore[operator]
    assert facebook.cost is None  # Facebook does not charge
    assert "Approuvée" not in preview.approval and "En attente" in preview.approval


def test_display_rules_come_from_the_spec_not_the_network_name(workspace: Workspace) -> None:
    """Give X other display rules in the registry: the preview follows them."""
    specs = dict(registry())
    x = specs["x"]
    specs["x"] = dataclasses.replace(
        x,
        label="X (règles d'essai)",
        text=dataclasses.replace(x.text, feed_cut=40, more_label="… afficher la suite", link_shown=10),
        prices=None,
    )
    for session in workspace.session():
        campaign = session.exec(select(Campaign)).one()
        post = get_post(session, campaign.id, "p01-lancement")
        preview = build_previews(session, campaign, [post], specs)[0]
    variant = next(item for item in preview.variants if item.network == "X (règles d'essai)")
    assert variant.cut and variant.more_label == "… afficher la suite" and variant.cost is None
    assert sum(len(piece.text) for piece in variant.shown) <= 40
    link = next(piece for piece in variant.whole if piece.link)
    assert len(link.text) == 11 and link.text.endswith("…")
    plain = dataclasses.replace(x, text=dataclasses.replace(x.text, links_clickable=False, link_shown=None))
    pieces = segments("Appelle le 119 https://exemple.org/r/ABCDEFGH #Clickable", plain)
    assert [piece.link for piece in pieces] == [False, False, False] and pieces[1].text == "https://exemple.org/r/ABCDEFGH"
    shown, cut = cut_for_feed(segments("un deux trois quatre https://exemple.org/r/A", dataclasses.replace(x, text=dataclasses.replace(x.text, feed_cut=12))), dataclasses.replace(x, text=dataclasses.replace(x.text, feed_cut=12)))
    assert cut and "".join(piece.text for piece in shown) == "un deux"  # cut at a word, never inside a link


def test_approving_a_post_changed_since_its_preview_asks_for_a_new_look(workspace: Workspace) -> None:
    page = workspace.folder / "apercu.html"
    result = workspace.run("post", "preview", "p02-sextorsion", "--out", str(page))
    assert "1 posts" in result.stdout and page.is_file()
    campaign_file = workspace.folder / "campaign.yaml"
    text = campaign_file.read_text("utf-8")
    assert "Ne paie pas" in text
    campaign_file.write_text(text.replace("Ne paie pas", "Ne paie jamais", 1), "utf-8")
    workspace.run("campaign", "load")
    refused = workspace.run("post", "approve", "p02-sextorsion", "--by", "Alex Martin", code=1)
    assert re.search(
        r"post 'p02-sextorsion' changed since its preview of \d{4}-\d\d-\d\d \d\d:\d\d UTC: run `clickable post preview p02-sextorsion`, look at it again, then approve",
        refused.stderr.replace("\n", " "),
    ), refused.stderr
    assert "Traceback" not in refused.output
    workspace.run("post", "preview", "p02-sextorsion", "--out", str(page))
    html = page.read_text("utf-8")
    assert "Ne paie jamais" in html
    approved = workspace.run("post", "approve", "p02-sextorsion", "--by", "Alex Martin")
    assert "Not previewed" not in approved.stdout
    for session in workspace.session():
        post = session.exec(select(Post).where(Post.key == "p02-sextorsion")).one()
        previews = session.exec(select(Preview).where(Preview.post_id == post.id)).all()
        approval = session.exec(select(Approval).where(Approval.post_id == post.id)).one()
    assert len(previews) == 2 and approval.preview_hash == previews[-1].content_hash != previews[0].content_hash
    # a post never previewed can still be approved, with a hint
    hinted = workspace.run("post", "approve", "p01-lancement", "--by", "Alex Martin")
    assert "Not previewed: `clickable post preview p01-lancement`" in hinted.stdout
    preview_page = workspace.folder / "apres.html"
    workspace.run("post", "preview", "--out", str(preview_page))
    assert "Approuvée par Alex Martin" in preview_page.read_text("utf-8") and "telle que prévisualisée" in preview_page.read_text("utf-8")


def test_an_unknown_post_is_a_one_line_error(workspace: Workspace) -> None:
    result = workspace.run("post", "preview", "p99", code=1)
    assert "no post 'p99'" in result.stderr and "Traceback" not in result.output


def test_the_capsule_poster_in_each_network_frame(rendered: Workspace) -> None:
    for session in rendered.session():
        campaign = session.exec(select(Campaign)).one()
        post = get_post(session, campaign.id, "p02-sextorsion")
        preview = build_previews(session, campaign, [post], registry())[0]
    by_network = {item.network: item for item in preview.variants}
    for name, variant in by_network.items():
        spec = next(spec for spec in registry().values() if spec.label == name)
        assert variant.video is not None, name
        zone = spec.media.safe_zone
        assert variant.video.safe == ((zone.top * 100, zone.right * 100, zone.bottom * 100, zone.left * 100) if zone else None)
        assert variant.video.feed == spec.media.feed_frame
        aspect = spec.media.video().aspect
        if aspect:
            assert (variant.video.width, variant.video.height) == aspect
    assert by_network["Instagram"].video.feed == (4, 5)  # type: ignore[union-attr]


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=390,844",
                     f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@needs_browser
def test_preview_on_a_phone_loads_everything_from_itself_and_passes_axe(rendered: Workspace, driver: Any) -> None:
    from .test_report_browser import requested_urls

    page = rendered.folder / "preview.html"
    rendered.run("post", "preview", "--out", str(page))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    driver.get(page.as_uri())
    assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [390, 844]
    assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    images = driver.execute_script("return [...document.images].map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(images) >= 3  # the sextortion capsule, on each of its networks
    assert all(complete and width > 0 and alt for complete, width, alt in images), images
    urls = requested_urls(driver, page.as_uri())
    assert urls[0] == page.as_uri() and all(url.startswith("data:image/jpeg;base64,") for url in urls[1:]), urls
    assert driver.execute_script("return document.querySelectorAll('a[href]').length") == 0  # nothing to follow
    text = driver.find_element("tag name", "main").text
    assert "… Voir plus" in text and "compte 23 caractères" in text and "Coût estimé" in text
    driver.execute_script(AXE.read_text("utf-8"))
    result = driver.execute_async_script("const done = arguments[arguments.length - 1]; axe.run().then(done);")
    serious = [(item["id"], item["impact"]) for item in result["violations"] if item["impact"] in ("serious", "critical")]
    assert serious == []
