"""X costs money: the estimates `schedule plan`, `post show` and `doctor` show, from X's prices (its
spec's, or campaign.yaml's `schedule.prices`), and an X account set to `link: none`.

X's pay-per-use prices since February 2026 (docs.x.com/x-api/getting-started/pricing, and
/work/shared/reference/networks-2026.md §X): $0.015 a post, $0.20 a post containing a URL, $0.005 a
post or metric read. Each post is read at its four metric milestones (1 h, 24 h, 72 h, 7 days).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from campaign.costs import estimate, prices_for
from cli import app
from networks.registry import registry

from .conftest import small_campaign

PRICING = "https://docs.x.com/x-api/getting-started/pricing"


class Workspace:
    def __init__(self, folder: Path, data: dict[str, Any]) -> None:
        self.folder = folder
        (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
        self.env = {
            "CLICKABLE_HOME": str(folder),
            "CLICKABLE_DATABASE_URL": f"sqlite:///{folder / 'costs.db'}",
            "CLICKABLE_LANG": "en",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        return self.runner.invoke(app, list(args), env=self.env)


def _campaign(posts: int = 2, **x_account: object) -> dict[str, Any]:
    data = small_campaign(posts)
    data["accounts"]["x-main"].update(x_account)  # type: ignore[index]
    return data


def test_the_x_spec_carries_x_s_pay_per_use_prices() -> None:
    prices = prices_for(registry()["x"])
    assert prices is not None and (prices.post, prices.post_with_url, prices.read) == (0.015, 0.20, 0.005)
    assert registry()["x"].prices.source == PRICING  # type: ignore[union-attr]
    assert prices_for(registry()["facebook"]) is None  # Graph charges nothing per call
    with_link = estimate(prices, "x", "Parles-en. https://s.example.org/r/ab3dkf7q")
    without = estimate(prices, "x", "Parles-en.")
    assert with_link is not None and with_link.amount == pytest.approx(0.20 + 4 * 0.005)
    assert without is not None and without.amount == pytest.approx(0.015 + 4 * 0.005)


def test_plan_and_doctor_show_the_estimated_x_cost_of_what_is_planned(tmp_path: Path) -> None:
    """2 posts × 2 territories on X, each text holding its tracked link: 4 × $0.20 + 16 reads × $0.005."""
    work = Workspace(tmp_path, _campaign())
    assert work("campaign", "load").exit_code == 0
    planned = work("schedule", "plan")
    assert planned.exit_code == 0, planned.output
    assert "Estimated cost of the deliveries to go out, x: about US$0.88 (4 posts, 4 with a link; 16 metric reads)" in planned.stdout
    again = json.loads(work("schedule", "plan", "--json").stdout)
    assert again["estimated_cost"] == [{"network": "x", "posts": 4, "posts_with_url": 4, "reads": 16, "usd": 0.88}]
    doctor = work("doctor", "--json")
    assert json.loads(doctor.stdout)["estimated_cost"] == again["estimated_cost"]
    assert "x: about US$0.88" in work("doctor").stdout


def test_prices_in_the_campaign_file_replace_the_spec_s_price_by_price(tmp_path: Path) -> None:
    data = _campaign()
    data["schedule"] = {"prices": {"x": {"post_with_url": 0.25}}}
    work = Workspace(tmp_path, data)
    assert work("campaign", "load").exit_code == 0
    report = json.loads(work("schedule", "plan", "--json").stdout)
    assert report["estimated_cost"][0]["usd"] == pytest.approx(4 * 0.25 + 16 * 0.005)


def test_prices_for_an_unknown_network_are_a_check_error(tmp_path: Path) -> None:
    data = _campaign()
    data["schedule"] = {"prices": {"mastodont": {"post": 0.01}}}
    work = Workspace(tmp_path, data)
    checked = work("campaign", "check")
    assert checked.exit_code != 0
    assert "campaign.yaml:" in checked.output and "unknown network 'mastodont' in prices" in checked.output


def test_post_show_gives_each_variant_s_estimated_cost(tmp_path: Path) -> None:
    work = Workspace(tmp_path, _campaign(posts=1))
    assert work("campaign", "load").exit_code == 0
    shown = work("post", "show", "p000")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count("Estimated cost: US$0.22 (a post with a link, then 4 metric reads)") == 2
    assert "Estimated cost of this post, x: about US$0.44 (2 posts, 2 with a link; 8 metric reads)" in shown.stdout
    variants = json.loads(work("post", "show", "p000", "--json").stdout)["variants"]
    assert {item["network"]: item["estimated_cost_usd"] for item in variants} == {"x": 0.22, "facebook": None}


def test_an_x_account_set_to_link_none_publishes_without_the_link_and_costs_less(tmp_path: Path) -> None:
    """`link: none`: the tracked link is left out of X's text (X charges $0.20 a post holding a URL,
    $0.015 one without); the capsule's end card and QR code carry it."""
    data = _campaign(posts=1, link="none")
    data["capsules"] = {"reel": {"script": "reel.yaml"}}
    data["posts"][0]["capsule"] = "reel"  # type: ignore[index]
    (tmp_path / "reel.yaml").write_text("title: reel\n", "utf-8")
    work = Workspace(tmp_path, data)
    assert work("campaign", "load").exit_code == 0
    variants = json.loads(work("post", "show", "p000", "--json").stdout)["variants"]
    x = [item for item in variants if item["network"] == "x"]
    facebook = [item for item in variants if item["network"] == "facebook"]
    assert [item["text"] for item in x] == ["Message 0 : parles-en."] * 2  # {link} left out
    # each keeps its own tracked link (the capsule's end card carries it); Facebook's text still holds its own
    assert all(item["link"].startswith("https://s.example.org/") for item in x)
    assert all(item["link"] in item["text"] for item in facebook)
    assert {item["estimated_cost_usd"] for item in x} == {0.035}  # $0.015 + 4 reads × $0.005
    report = json.loads(work("schedule", "plan", "--json").stdout)
    assert report["estimated_cost"] == [{"network": "x", "posts": 2, "posts_with_url": 0, "reads": 8, "usd": 0.07}]
    planned = json.loads(work("schedule", "list", "--json").stdout)
    assert len(planned) == 4


def test_check_knows_link_none_needs_a_capsule_to_carry_the_link(tmp_path: Path) -> None:
    work = Workspace(tmp_path, _campaign(posts=1, link="none"))
    checked = work("campaign", "check")
    assert checked.exit_code != 0
    assert "post 'p000' on x-main: the account is set to 'link: none'" in checked.output
    assert "give the post a capsule, or set the account to 'link: text'" in checked.output
    assert "campaign.yaml:" in checked.output


def test_check_refuses_a_link_setting_it_does_not_know(tmp_path: Path) -> None:
    work = Workspace(tmp_path, _campaign(posts=1, link="maybe"))
    checked = work("campaign", "check")
    assert checked.exit_code != 0 and "accounts.x-main.link is 'maybe', expected 'text' or 'none'" in checked.output
    facebook = _campaign(posts=1)
    facebook["accounts"]["fb-main"]["link"] = "none"  # type: ignore[index]
    refused = Workspace(tmp_path, facebook)("campaign", "check")
    assert refused.exit_code != 0 and "unknown key 'link'" in refused.output  # Facebook declares no such setting
