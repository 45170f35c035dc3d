"""The emulator judges Graph requests with Meta's own node specs (networks/graph/specs/, package data)
and answers a refused one with Graph's real error. Each test names the rule and where Meta states it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
import requests

from networks.emulator.messages import Reply, Request
from networks.emulator.part import Exchange
from networks.emulator.server import EmulatorServer, start
from networks.facebook.emulator import FacebookPart
from networks.graph.nodes import graph_specs
from networks.graph.versions import CURRENT, VERSIONS, why_refused
from networks.registry import Registry, registry

pytestmark = pytest.mark.refused_requests  # these tests send what the specs refuse, on purpose


def call(
    server: EmulatorServer, method: str, path: str, *, network: str = "facebook", **fields: Any
) -> requests.Response:
    credentials = server.emulator.credentials()[network]
    token = credentials["page_token" if network == "facebook" else "token"]
    return requests.request(
        method,
        f"{server.url}{path}",
        headers={"Host": "graph.facebook.com", "Authorization": f"OAuth {token}"},
        timeout=5,
        **fields,
    )


def error_of(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "OAuthException"
    return dict(error)


def test_the_specs_ship_inside_the_package_with_metas_licence() -> None:
    """A clean clone has no ../shared: the node specs are package data, with Meta's notice and source."""
    folder = resources.files("networks.graph").joinpath("specs")
    names = {item.name for item in folder.iterdir()}
    assert {"Page.json", "PagePost.json", "AdVideo.json", "IGUser.json", "IGMedia.json"} <= names
    assert {"Application.json", "IGResumableVideoUploadStatus.json", "enum_types.json"} <= names
    assert "Copyright (c) Meta Platforms" in folder.joinpath("LICENSE").read_text("utf-8")
    assert "facebook-business-sdk-codegen" in folder.joinpath("SOURCE.md").read_text("utf-8")
    # loaded, not transcribed: the enum the Reels start phase draws from is Meta's
    edge = graph_specs().edge("Page", "POST", "video_reels")
    assert edge is not None and graph_specs().enum(edge.params["upload_phase"].type) == ("FINISH", "START")


# --- versions: developers.facebook.com/docs/graph-api/changelog/versions ------------------------


def test_graph_versions_live_until_their_expiry_on_the_emulators_clock(emulator: EmulatorServer) -> None:
    page = emulator.emulator.credentials()["facebook"]["page_id"]
    assert VERSIONS["v22.0"].expires == datetime(2027, 5, 20).date() and CURRENT == "v25.0"
    assert call(emulator, "GET", f"/v22.0/{page}").status_code == 200
    assert call(emulator, "GET", f"/v26.0/{page}").status_code == 200
    expired = error_of(call(emulator, "GET", f"/v19.0/{page}"))  # expired on 2026-05-21
    assert expired["code"] == 12 and "expired on 2026-05-21" in expired["message"]
    emulator.emulator.clock_offset = (
        datetime(2027, 5, 21, tzinfo=UTC).timestamp() - datetime.now(UTC).timestamp()
    )
    assert "expired on 2027-05-20" in error_of(call(emulator, "GET", f"/v22.0/{page}"))["message"]
    assert call(emulator, "GET", f"/v25.0/{page}").status_code == 200


def test_a_missing_or_unknown_version_is_refused(emulator: EmulatorServer) -> None:
    page = emulator.emulator.credentials()["facebook"]["page_id"]
    assert "no Graph API version" in error_of(call(emulator, "GET", f"/{page}"))["message"]
    assert "unknown Graph API version v99.0" in error_of(call(emulator, "GET", f"/v99.0/{page}"))["message"]
    assert "expired" in error_of(call(emulator, "GET", f"/v2.8/{page}"))["message"]
    assert why_refused("v25.0", datetime(2028, 7, 29, tzinfo=UTC).timestamp()) is not None


# --- parameters, fields, enums, metrics ---------------------------------------------------------


def test_an_unknown_field_gets_graphs_nonexisting_field_error(emulator: EmulatorServer) -> None:
    """Page.json's fields, PagePost.json's for what /posts returns."""
    page = emulator.emulator.credentials()["facebook"]["page_id"]
    error = error_of(call(emulator, "GET", f"/v25.0/{page}/posts", params={"fields": "id,message,views"}))
    assert error["code"] == 100
    assert error["message"] == "(#100) Tried accessing nonexisting field (views) on node type (PagePost)"


def test_an_undeclared_parameter_is_refused(emulator: EmulatorServer) -> None:
    page = emulator.emulator.credentials()["facebook"]["page_id"]
    error = error_of(call(emulator, "POST", f"/v25.0/{page}/feed", data={"message": "x", "status": "y"}))
    assert (error["code"], error["message"]) == (100, "(#100) Param status is not a valid parameter")
    assert emulator.emulator.published == []


def test_a_value_outside_its_enum_gets_the_enums_values(emulator: EmulatorServer) -> None:
    """Page.json: video_reels' upload_phase is pagevideo_reels_upload_phase_enum_param (enum_types.json)."""
    page = emulator.emulator.credentials()["facebook"]["page_id"]
    error = error_of(call(emulator, "POST", f"/v25.0/{page}/video_reels", data={"upload_phase": "transfer"}))
    assert error["message"] == '(#100) Param upload_phase must be one of {FINISH, START} - got "transfer"'
    # Graph matches enum values without regard to case (the Reels guide sends upload_phase=start)
    assert (
        call(emulator, "POST", f"/v25.0/{page}/video_reels", data={"upload_phase": "start"}).status_code
        == 200
    )


def test_a_required_parameter_missing(emulator: EmulatorServer) -> None:
    """IGUser.json: media_publish requires creation_id (an unsigned int)."""
    ig = emulator.emulator.credentials()["instagram"]["ig_user_id"]
    missing = error_of(call(emulator, "POST", f"/v25.0/{ig}/media_publish", network="instagram"))
    assert missing["message"] == "(#100) The parameter creation_id is required"
    typed = error_of(
        call(emulator, "POST", f"/v25.0/{ig}/media_publish", network="instagram", data={"creation_id": "abc"})
    )
    assert typed["message"] == "(#100) Param creation_id must be an unsigned integer"


def _published_post(server: EmulatorServer, network: str) -> str:
    core = server.emulator
    ident = core.next_id() if network == "instagram" else f"100000000001_{core.next_id()}"
    core.objects[ident] = {
        "network": network,
        "kind": "media" if network == "instagram" else "post",
        "text": "",
    }
    core.record(network, "account", ident, f"post {ident}", [])
    return ident


def test_facebook_does_not_say_which_metric_is_invalid(emulator: EmulatorServer) -> None:
    """graph-api/reference/insights: "The API returns an invalid metric error" — not naming it; the
    post_impressions family was retired (the supplement's reference page)."""
    post = _published_post(emulator, "facebook")
    for names in ("post_media_view,post_impressions", "post_clicks,no_such_metric"):
        error = error_of(call(emulator, "GET", f"/v25.0/{post}/insights", params={"metric": names}))
        assert error == {**error, "code": 100, "message": "(#100) The value must be a valid insights metric"}
    ok = call(emulator, "GET", f"/v25.0/{post}/insights", params={"metric": "post_media_view,post_clicks"})
    assert [item["name"] for item in ok.json()["data"]] == ["post_media_view", "post_clicks"]


def test_instagram_lists_the_metrics_it_takes(emulator: EmulatorServer) -> None:
    """IGMedia.json: metric draws from shadowigmediainsights_metric_enum_param; impressions and plays
    were retired (2025-04-21, every version)."""
    media = _published_post(emulator, "instagram")
    error = error_of(
        call(
            emulator,
            "GET",
            f"/v25.0/{media}/insights",
            network="instagram",
            params={"metric": "views,impressions"},
        )
    )
    assert error["message"].startswith("(#100) metric[1] must be one of the following values: comments, ")
    listed = error["message"].split(": ", 1)[1].split(", ")
    assert "views" in listed and "reach" in listed and "impressions" not in listed and "plays" not in listed


# --- answers checked against the node's declared fields -----------------------------------------


def test_an_answer_with_a_field_the_node_does_not_declare_is_recorded_invalid() -> None:
    class Chatty(FacebookPart):
        def account_node(self, request: Request) -> Reply:
            return Reply(200, {"id": self.account, "name": "Page", "fans": 12})

    networks = Registry([dataclasses.replace(registry()["facebook"], emulator=lambda: Chatty)])
    seen: list[Exchange] = []
    server = start(networks=networks)
    server.emulator.add_recorder(seen.append)
    try:
        page = server.emulator.credentials()["facebook"]["page_id"]
        assert call(server, "GET", f"/v25.0/{page}").status_code == 200
        assert call(server, "GET", f"/v25.0/{page}", params={"fields": "id,name"}).status_code == 200
    finally:
        server.stop()
    assert [(item.response.checked, item.response.ok) for item in seen] == [(True, False), (True, True)]
    assert seen[0].response.errors == ("GET /{Page} answered field 'fans', which Page does not declare",)
