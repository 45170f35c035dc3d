"""A metric name the network refuses costs that name, not the account's metrics, and is not asked again.

Graph refuses a whole insights request for one invalid name and does not say which
("(#100) The value must be a valid insights metric", developers.facebook.com/docs/graph-api/reference/insights):
collection asks the names one at a time, stores the refused one (table retiredmetric), later runs and
other accounts do not ask it, and `doctor` lists it. Meta retiring a name clickable still asks is
played by retiring it in the emulator's ground truth (networks/graph/specs/supplement.json).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from campaign.db import Database
from campaign.models import Delivery, MetricSnapshot, RetiredMetric
from cli import app
from networks.emulator.server import EmulatorServer
from networks.graph.nodes import graph_specs

INSIGHTS = "GET /{id}/insights"


@pytest.fixture
def meta_retires_post_clicks(monkeypatch: pytest.MonkeyPatch) -> None:
    retired = graph_specs().supplement["retired_metrics"]["PagePost"]
    monkeypatch.setitem(retired, "names", [*retired["names"], "post_clicks"])


@pytest.mark.refused_requests  # the name Meta retired is asked once, with the others
def test_a_refused_metric_is_retired_and_the_others_are_kept(
    meta_retires_post_clicks: None, workspace: Path, database_url: str, emulator: EmulatorServer
) -> None:
    text = (workspace / "campaign.yaml").read_text("utf-8").replace("required: true", "required: false")
    (workspace / "campaign.yaml").write_text(text.replace("two_person: true", "two_person: false"), "utf-8")
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": database_url,
           "CLICKABLE_EMULATOR_URL": emulator.url, "CLICKABLE_KEYRING": "0"}  # fmt: skip
    runner = CliRunner()
    for command in (["campaign", "load"], ["post", "publish", "p03-secret", "--now"]):
        assert runner.invoke(app, command, env=env).exit_code == 0
    emulator.emulator.clock_offset += 6 * 3600

    def insights_calls() -> int:
        return sum(
            1
            for item in emulator.emulator.requests
            if item["network"] == "facebook" and f"{item['method']} {item['template']}" == INSIGHTS
        )

    first = runner.invoke(app, ["stats", "collect", "--all"], env=env)
    assert first.exit_code == 0, first.output
    assert "metric post_clicks (facebook, post) refused by the network: retired" in first.stderr
    database = Database(database_url)
    with Session(database.engine) as session:
        [retired] = session.exec(select(RetiredMetric)).all()
        facebook = {
            snapshot.delivery_id: snapshot
            for snapshot in session.exec(select(MetricSnapshot))
            if "post_media_view" in snapshot.raw
        }
        posts = [d for d in session.exec(select(Delivery)) if d.remote_id and "_" in d.remote_id]
    assert (retired.network, retired.kind, retired.name) == ("facebook", "post", "post_clicks")
    assert posts and set(facebook) == {delivery.id for delivery in posts}  # every post kept its metrics
    assert all(set(s.raw) == {"post_media_view", "post_total_media_view_unique", "post_reactions_like_total"}
               for s in facebook.values())  # fmt: skip
    # the set was refused once, then asked name by name; the next posts no longer ask the retired name
    assert insights_calls() == 1 + 4 + (len(posts) - 1)
    before = insights_calls()
    assert runner.invoke(app, ["stats", "collect", "--all"], env=env).exit_code == 0
    assert insights_calls() - before == len(posts)  # one call a post: the retired name is not asked
    doctor = runner.invoke(app, ["doctor"], env=env)
    assert "metric post_clicks (facebook, post) retired on" in doctor.stdout
    database.dispose()
