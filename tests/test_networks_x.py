"""X: the adapter (tweepy and our v2 chunked uploader) against the emulator over real HTTP, and the
emulator's X part judged by X's own OpenAPI document (networks/x/openapi/openapi.json, v2.159).

Each test names what it relies on: X's page at docs.x.com and the document's ``operationId``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy
from sqlmodel import Session, select

from campaign.i18n import format_utc
from campaign.models import Account, DeliveryState
from networks.base import (
    AccountPaused,
    Content,
    NeedsReauth,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from networks.emulator.server import EmulatorServer
from networks.transport import prepare_session
from networks.x import errors
from networks.x.adapter import XAdapter
from networks.x.emulator import OPENAPI, XPart

from .conftest import (
    inject,
    make_adapter,
    no_sleep,
    published,
    requests_to,
    sandbox_credentials,
    small_campaign,
)
from .test_dispatch import make_env

LINK = "https://clickable.example.org/r/ab3dkf7q"
DOCS = {  # operationId -> X's own page
    "createPosts": "https://docs.x.com/x-api/posts/create-or-edit-post",
    "getPostsByIds": "https://docs.x.com/x-api/posts/get-posts-by-ids",
    "getUsersMe": "https://docs.x.com/x-api/users/get-my-user",
    "getUsersPosts": "https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id",
    "initializeMediaUpload": "https://docs.x.com/x-api/media/initialize-media-upload",
    "appendMediaUpload": "https://docs.x.com/x-api/media/append-media-upload",
    "finalizeMediaUpload": "https://docs.x.com/x-api/media/finalize-media-upload",
    "getMediaUploadStatus": "https://docs.x.com/x-api/media/media-upload-status",
}
ERRORS_DOC = "https://docs.x.com/x-api/fundamentals/response-codes-and-errors"
PRICING_DOC = "https://docs.x.com/x-api/getting-started/pricing"


def signed(server: EmulatorServer) -> tuple[requests.Session, Any]:
    """A session to the emulator that signs as the sandbox account (OAuth 1.0a user context)."""
    values = server.emulator.credentials()["x"]
    auth = tweepy.OAuth1UserHandler(
        values["consumer_key"], values["consumer_secret"], values["access_token"], values["access_token_secret"]
    ).apply_auth()
    return prepare_session(requests.Session(), emulator_url=server.url), auth


def judged(server: EmulatorServer) -> list[dict[str, Any]]:
    return [item for item in server.emulator.requests if item["network"] == "x"]


# --- the document as judge -----------------------------------------------------------------------


def test_every_route_of_the_part_is_an_operation_of_x_openapi_document(emulator: EmulatorServer) -> None:
    """The emulator serves these operations (each linked in DOCS) and nothing the document lacks."""
    judge = emulator.emulator.part("x").judge()  # type: ignore[attr-defined]
    assert set(judge.operation_ids.values()) == set(DOCS)
    assert judge.server == "https://api.x.com"
    assert judge.unapplied == ()  # every erratum still corrects the document (drop it when X fixes it)


def test_the_errata_are_needed_and_nothing_else_is_corrected(emulator: EmulatorServer) -> None:
    """Without the errata the document refuses X's own documented answer of getMediaUploadStatus
    (docs.x.com/x-api/media/media-upload-status): it requires a `meta` nobody sends."""
    from networks.emulator.messages import Reply, Request
    from networks.emulator.openapi import OpenAPIJudge, load_document
    from networks.x.emulator import _errata

    part = emulator.emulator.part("x")
    operations = [(route.method, route.template) for route in part._routes]
    strict = OpenAPIJudge(load_document(OPENAPI), operations)
    corrected = OpenAPIJudge(load_document(OPENAPI), operations, errata=_errata())
    request = Request("GET", "api.x.com", "/2/media/upload", {"media_id": "1"}, {}, b"", "media_id=1")
    reply = Reply(200, {"data": {"id": "1", "processing_info": {"state": "succeeded", "progress_percent": 100}}})
    assert "meta" in " ".join(strict.check_response(request, "/2/media/upload", reply).errors)
    assert corrected.check_response(request, "/2/media/upload", reply).ok
    assert {erratum.pointer.rsplit("/", 2)[-2] for erratum in _errata()} == {
        "MediaUploadResponse",
        "MediaUploadAppendResponse",
        "ProcessingInfo",
    }


def _refused(session: requests.Session, auth: Any, method: str, url: str, **kwargs: Any) -> requests.Response:
    response = session.request(method, url, auth=auth, timeout=5, **kwargs)
    assert response.headers["Content-Type"] == "application/problem+json", response.text
    return response


@pytest.mark.refused_requests("x")
def test_requests_the_document_refuses_get_x_own_error_shapes(emulator: EmulatorServer) -> None:
    """createPosts, getPostsByIds, getUsersPosts, appendMediaUpload, getMediaUploadStatus: a request
    the document refuses gets X's invalid-request problem naming the parameter (ERRORS_DOC), or 401."""
    session, auth = signed(emulator)
    api = "https://api.x.com"
    body = _refused(session, auth, "POST", f"{api}/2/tweets", json={"text": "Bonjour", "forbidden": 1}).json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request" and body["status"] == 400
    assert "forbidden" in body["errors"][0]["message"]
    wrong = _refused(session, auth, "GET", f"{api}/2/tweets", params={"ids": "abc"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["parameters"] == {"ids": ["abc"]}
    missing = _refused(session, auth, "GET", f"{api}/2/tweets")
    assert missing.status_code == 400 and missing.json()["errors"][0]["parameters"] == {"ids": []}
    too_few = _refused(session, auth, "GET", f"{api}/2/users/1500000001/tweets", params={"max_results": "3"})
    assert too_few.status_code == 400 and "max_results" in too_few.json()["errors"][0]["parameters"]
    form = _refused(session, auth, "POST", f"{api}/2/tweets", data={"text": "Bonjour"})
    assert form.status_code == 400 and "content type" in form.json()["errors"][0]["message"]
    media = session.post(
        f"{api}/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 3, "media_category": "tweet_video"},
        auth=auth,
        timeout=5,
    ).json()["data"]["id"]
    unindexed = _refused(
        session, auth, "POST", f"{api}/2/media/upload/{media}/append", files={"media": ("blob", b"abc")}
    )
    assert unindexed.status_code == 400
    command = _refused(session, auth, "GET", f"{api}/2/media/upload", params={"media_id": media, "command": "FINALIZE"})
    assert command.status_code == 400 and command.json()["errors"][0]["parameters"] == {"command": ["FINALIZE"]}
    unsigned = requests.post(f"{emulator.url}/2/tweets", json={"text": "x"}, headers={"Host": "api.x.com"}, timeout=5)
    assert unsigned.status_code == 401 and unsigned.json() == {
        "title": "Unauthorized",
        "detail": "Unauthorized",
        "type": "about:blank",
        "status": 401,
    }
    exchanges = judged(emulator)
    assert [item["request"]["ok"] for item in exchanges] == [False, False, False, False, False, True, False, False, False]
    assert all(item["response"]["checked"] and item["response"]["ok"] for item in exchanges)  # refusals match too
    assert published(emulator) == []


def test_an_app_only_token_cannot_post(emulator: EmulatorServer) -> None:
    """createPosts takes OAuth 1.0a or OAuth 2.0 *user* tokens: X answers an app-only Bearer token with
    403 unsupported-authentication (the document accepts the header; whose token it is, the part knows)."""
    bearer = emulator.emulator.credentials()["x"]["bearer_token"]
    response = requests.post(
        f"{emulator.url}/2/tweets",
        json={"text": "x"},
        headers={"Host": "api.x.com", "Authorization": f"Bearer {bearer}"},
        timeout=5,
    )
    assert response.status_code == 403
    assert response.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    [exchange] = judged(emulator)
    assert exchange["request"]["ok"] and exchange["response"]["ok"]


@pytest.mark.refused_requests("x")
def test_a_reply_off_the_document_is_caught() -> None:
    """The response judge works: a part whose createPosts answer has a numeric id is recorded as off the
    document (TweetCreateResponse: data.id is a string of digits)."""
    import dataclasses

    from networks.emulator.messages import Reply, Request
    from networks.emulator.server import start
    from networks.registry import Registry, registry

    class Sloppy(XPart):
        def create_tweet(self, request: Request) -> Reply:
            return Reply(201, {"data": {"id": 123, "text": "x"}})

    server = start(networks=Registry([dataclasses.replace(registry()["x"], emulator=lambda: Sloppy)]))
    try:
        session, auth = signed(server)
        assert session.post("https://api.x.com/2/tweets", json={"text": "x"}, auth=auth, timeout=5).status_code == 201
        [exchange] = judged(server)
    finally:
        server.stop()
    assert exchange["request"]["ok"] and not exchange["response"]["ok"]
    assert "123 is not of type 'string'" in exchange["response"]["errors"][0]


@pytest.mark.parametrize("kind", ["rate_limited", "expired_token", "duplicate", "credits_depleted", "usage_capped"])
def test_the_part_own_fault_answers_match_the_document(emulator: EmulatorServer, kind: str) -> None:
    """The faults the contract suite injects are X's own shapes (createPosts' default response: Problem)."""
    inject(emulator, "x", "POST /2/tweets", kind=kind, reset_in_s=60)
    with pytest.raises((RateLimited, NeedsReauth, Rejected, AccountPaused)):
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    [exchange] = judged(emulator)
    assert exchange["fault"] and exchange["response"]["ok"], exchange["response"]


def test_both_hosts_are_served(emulator: EmulatorServer) -> None:
    """api.x.com is the document's server; api.twitter.com still answers the same paths (getUsersMe)."""
    session, auth = signed(emulator)
    for host in ("api.x.com", "api.twitter.com"):
        response = session.get(f"https://{host}/2/users/me", auth=auth, timeout=5)
        assert response.status_code == 200 and response.json()["data"]["username"] == "ecpat_sandbox"


@pytest.mark.refused_requests("x")
def test_an_unknown_path_gets_x_not_found(emulator: EmulatorServer) -> None:
    session, auth = signed(emulator)
    response = session.get("https://api.x.com/2/nowhere", auth=auth, timeout=5)
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == 34


# --- publishing ----------------------------------------------------------------------------------


def test_post_with_link_counts_23_for_the_url(emulator: EmulatorServer) -> None:
    """createPosts; links count 23 (docs.x.com/fundamentals/counting-characters)."""
    adapter = make_adapter(emulator, "x")
    content = Content(text=f"Signaler, c'est protéger : {LINK}", link=LINK)
    assert adapter.validate(content).length == len("Signaler, c'est protéger : ") + 23
    adapter.publish(content)
    assert published(emulator)[0]["text"] == content.text


def test_video_post_goes_through_the_chunked_upload(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    """initializeMediaUpload → appendMediaUpload (multipart: media + segment_index) →
    finalizeMediaUpload (an empty JSON object) → getMediaUploadStatus → createPosts, all on api.x.com."""
    adapter = make_adapter(emulator, "x", chunk_bytes=64 * 1024)
    sent: list[requests.PreparedRequest] = []
    adapter.client.session.hooks["response"].append(lambda response, *a, **k: sent.append(response.request))  # type: ignore[attr-defined]
    size = videos["good"].stat().st_size
    result = adapter.publish(Content(text="Chantage aux photos ? Ne paie pas.", video=videos["good"]))
    record = published(emulator)[0]
    assert record["id"] == result.remote_id and len(record["media"]) == 1  # type: ignore[arg-type]
    upload = emulator.emulator.uploads[record["media"][0]]  # type: ignore[index]
    assert bytes(upload.data) == videos["good"].read_bytes()
    assert requests_to(emulator, "POST", "/append") == -(-size // (64 * 1024))
    assert requests_to(emulator, "GET", "/2/media/upload") >= 2  # STATUS polled until succeeded
    [finalize] = [request for request in sent if (request.url or "").endswith("/finalize")]
    assert finalize.body == b"{}" and finalize.headers["Content-Type"] == "application/json"
    assert {item["host"] for item in judged(emulator)} == {"api.x.com"}
    assert all(item["request"]["ok"] and item["response"]["ok"] for item in judged(emulator))


def test_finalize_without_a_json_body_is_refused_as_x_does(emulator: EmulatorServer) -> None:
    """finalizeMediaUpload has no request body in the document; X answers 400 "Request body must be a
    JSON object" without one (trypost PR #202). Before the fix the adapter sent none: every video failed."""
    session, auth = signed(emulator)
    api = "https://api.x.com/2/media/upload"
    media = session.post(
        f"{api}/initialize",
        json={"media_type": "video/mp4", "total_bytes": 4, "media_category": "tweet_video"},
        auth=auth,
        timeout=5,
    ).json()["data"]["id"]
    appended = session.post(
        f"{api}/{media}/append", data={"segment_index": "0"}, files={"media": ("blob", b"abcd")}, auth=auth, timeout=5
    )
    assert appended.status_code == 200, appended.text
    bare = session.post(f"{api}/{media}/finalize", auth=auth, timeout=5)
    assert bare.status_code == 400 and bare.json()["errors"] == [{"message": "Request body must be a JSON object"}]
    empty = session.post(f"{api}/{media}/finalize", json={}, auth=auth, timeout=5)
    assert empty.status_code == 200 and empty.json()["data"]["processing_info"]["state"] == "pending"
    assert all(item["request"]["ok"] and item["response"]["ok"] for item in judged(emulator))


MEDIA_DOC = "https://docs.x.com/x-api/media/quickstart/media-upload-chunked"  # video: 512 MB, 140 s


def test_the_emulator_refuses_a_video_over_512_mb_at_init_as_x_does(emulator: EmulatorServer) -> None:
    """initializeMediaUpload with total_bytes over X's 512 MB: 400 naming total_bytes with X's words
    ("File size exceeds N bytes.", as X answers uploads over their limit: tweepy #2002, BattBot #62)."""
    session, auth = signed(emulator)
    limit = 512 * 1024 * 1024
    answer = session.post(
        "https://api.x.com/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": limit + 1, "media_category": "tweet_video"},
        auth=auth,
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert answer.json()["errors"] == [
        {"parameters": {"total_bytes": [str(limit + 1)]}, "message": f"File size exceeds {limit} bytes."}
    ]
    at_limit = session.post(
        "https://api.x.com/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": limit, "media_category": "tweet_video"},
        auth=auth,
        timeout=5,
    )
    assert at_limit.status_code == 200, at_limit.text
    assert all(item["request"]["ok"] and item["response"]["ok"] for item in judged(emulator))


def test_the_emulator_fails_the_processing_of_a_video_over_140_s_as_x_does(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A video longer than 140 s is received, then its processing fails with X's own error (code 3,
    UnsupportedMedia, the durations written as X writes them: node-twitter-api-v2 #243); the adapter
    (here past its own check, which refuses it before any byte) rejects the post with X's words."""
    from capsules.media import run_ffmpeg

    long = tmp_path / "long.mp4"
    made = run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", "color=c=black:size=64x64:rate=1:duration=141",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(long)]
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    adapter = make_adapter(emulator, "x")
    content = Content(text="Ne reste pas seul·e.", video=long)
    with pytest.raises(Rejected, match="141"):  # "the video lasts 141 s…" (in the interface language)
        adapter.upload_media(content)  # refused before a byte is sent
    assert requests_to(emulator, "POST", "/2/media/upload/initialize") == 0
    with pytest.raises(Rejected) as refused:
        adapter.upload_video(content, None, None)
    assert "Duration 2.minutes+21.seconds exceeds max duration of 2.minutes+20.seconds" in str(refused.value)
    [status] = [item for item in judged(emulator) if item["method"] == "GET" and item["status"] == 200][-1:]
    assert status["response"]["checked"] and status["response"]["ok"]  # the failed state is in the document


def test_every_call_goes_to_the_spec_host(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    """The document's server is https://api.x.com: tweepy's own calls (createPosts, getUsersMe,
    getUsersPosts, getPostsByIds) and the upload go there (tweepy writes api.twitter.com)."""
    adapter = make_adapter(emulator, "x")
    result = adapter.publish(Content(text="Parles-en.", video=videos["good"]))
    adapter.fetch_metrics([result.remote_id])
    adapter.find_published(Content(text="Parles-en.").fingerprint)
    adapter.check_credentials()
    assert {item["host"] for item in judged(emulator)} == {"api.x.com"}


def test_find_published_asks_for_at_least_what_the_document_allows(emulator: EmulatorServer) -> None:
    """getUsersPosts: max_results from 5 to 100 (a smaller limit was refused by the document)."""
    adapter = make_adapter(emulator, "x")
    result = adapter.publish(Content(text="Un seul."))
    found = adapter.find_published(Content(text="Un seul.").fingerprint, limit=1)
    assert found is not None and found.remote_id == result.remote_id


# --- metrics -------------------------------------------------------------------------------------


def test_metrics_are_fetched_and_normalised(emulator: EmulatorServer) -> None:
    """getPostsByIds with public_metrics and non_public_metrics (docs.x.com/x-api/fundamentals/metrics)."""
    adapter = make_adapter(emulator, "x")
    result = adapter.publish(Content(text="Qui voit ce que tu publies ?"))
    emulator.emulator.clock_offset += 3 * 3600
    readings = {reading.remote_id: reading for reading in adapter.fetch_metrics([result.remote_id, "999"])}
    reading = readings[result.remote_id]
    assert set(reading.normalised) >= {"views", "impressions", "likes", "comments", "shares", "saves", "link_clicks"}
    assert reading.normalised["views"] > 0
    assert reading.raw["public_metrics.like_count"] == reading.normalised["likes"]
    assert readings["999"].missing


def test_private_metrics_are_not_asked_for_posts_older_than_30_days(emulator: EmulatorServer) -> None:
    """non_public_metrics are kept 30 days (docs.x.com/x-api/fundamentals/metrics): X answers a request
    for an older post's with a field-authorization error; the adapter asks only for public metrics then
    (the post's age is in its id, a snowflake: docs.x.com/fundamentals/x-ids)."""
    adapter = make_adapter(emulator, "x", clock=emulator.emulator.now)
    old = adapter.publish(Content(text="Publié il y a longtemps"))
    emulator.emulator.clock_offset += 31 * 86_400
    recent = adapter.publish(Content(text="Publié hier"))
    urls: list[str] = []
    adapter.client.session.hooks["response"].append(lambda response, *a, **k: urls.append(response.request.url))  # type: ignore[attr-defined]
    readings = {reading.remote_id: reading for reading in adapter.fetch_metrics([old.remote_id, recent.remote_id])}
    assert not readings[old.remote_id].missing and readings[old.remote_id].normalised["impressions"] > 0
    assert not any(name.startswith("non_public") for name in readings[old.remote_id].raw)
    assert "link_clicks" in readings[recent.remote_id].normalised
    [asked_old] = [url for url in urls if old.remote_id in url]
    assert "non_public_metrics" not in asked_old
    assert all(item["request"]["ok"] and item["response"]["ok"] for item in judged(emulator))


def test_the_emulator_refuses_an_old_post_private_metrics_as_x_does(emulator: EmulatorServer) -> None:
    """getPostsByIds: the post comes back without the field, and errors[] holds a not-authorized-for-field
    problem carrying the post's resource_id (FieldUnauthorizedProblem)."""
    adapter = make_adapter(emulator, "x")
    post = adapter.publish(Content(text="Ancien"))
    emulator.emulator.clock_offset += 31 * 86_400
    session, auth = signed(emulator)
    body = session.get(
        "https://api.x.com/2/tweets",
        params={"ids": post.remote_id, "tweet.fields": "public_metrics,non_public_metrics"},
        auth=auth,
        timeout=5,
    ).json()
    assert "non_public_metrics" not in body["data"][0] and "public_metrics" in body["data"][0]
    [error] = body["errors"]
    assert error["type"].endswith("/not-authorized-for-field") and error["resource_id"] == post.remote_id
    assert judged(emulator)[-1]["response"]["ok"]


def test_a_field_error_with_a_resource_id_is_not_a_deleted_post(emulator: EmulatorServer) -> None:
    """Only resource-not-found means a post is gone (node-twitter-api-v2#432): a field-authorization error
    carries the resource_id of a post that is there. Before the fix it came back "missing"."""
    adapter = make_adapter(emulator, "x")
    post = adapter.publish(Content(text="Toujours là"))
    inject(
        emulator,
        "x",
        "GET /2/tweets",
        status=200,
        body={
            "data": [
                {
                    "id": post.remote_id,
                    "text": "Toujours là",
                    "edit_history_tweet_ids": [post.remote_id],
                    "public_metrics": {
                        "retweet_count": 0,
                        "reply_count": 0,
                        "like_count": 3,
                        "quote_count": 0,
                        "bookmark_count": 0,
                        "impression_count": 40,
                    },
                }
            ],
            "errors": [
                {
                    "resource_id": post.remote_id,
                    "field": "non_public_metrics",
                    "parameter": "tweet.fields",
                    "resource_type": "tweet",
                    "section": "data",
                    "title": "Field Authorization Error",
                    "value": post.remote_id,
                    "detail": "Sorry, you are not authorized to access 'non_public_metrics' on the Tweet.",
                    "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
                }
            ],
        },
    )
    [reading] = adapter.fetch_metrics([post.remote_id])
    assert not reading.missing and reading.normalised["likes"] == 3
    assert judged(emulator)[-1]["response"]["ok"]  # the injected answer is one the document allows


def test_only_resource_not_found_means_missing() -> None:
    found = {"resource_id": "1", "type": "https://api.twitter.com/2/problems/resource-not-found"}
    assert errors.is_missing(found)
    assert not errors.is_missing({**found, "type": "https://api.twitter.com/2/problems/not-authorized-for-field"})
    assert not errors.is_missing({"type": found["type"]})


# --- answers: the classification of networks/x/errors.py -----------------------------------------


def test_wrong_secret_is_refused_by_signature(emulator: EmulatorServer) -> None:
    """getUsersMe with a bad OAuth 1.0a signature: 401 (the document sees a well-formed header)."""
    from pydantic import SecretStr

    credentials = sandbox_credentials(emulator, "x")
    wrong = type(credentials)(
        credentials.account, "x", {**credentials.values, "consumer_secret": SecretStr("not-the-secret")}, "test"
    )
    with pytest.raises(NeedsReauth):
        XAdapter(wrong, emulator_url=emulator.url, sleep=no_sleep).check_credentials()


def test_402_pauses_the_account_until_a_person_buys_credits(emulator: EmulatorServer) -> None:
    """createPosts answers 402 when the pay-per-use credits are spent (PRICING_DOC): not the post's fault.
    Before the fix it was a permanent rejection of the post."""
    inject(emulator, "x", "POST /2/tweets", kind="credits_depleted")
    with pytest.raises(AccountPaused) as caught:
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    assert caught.value.until is None  # only a person ends it
    assert "402" in caught.value.reason and "credits" in caught.value.reason
    assert "console.x.com" in caught.value.advice and "clickable accounts resume sandbox" in caught.value.advice


def test_a_usage_cap_pauses_the_account_until_the_period_ends(emulator: EmulatorServer) -> None:
    """429 whose problem type is usage-capped (UsageCapExceededProblem, period Monthly): its
    x-rate-limit-reset is the 15-minute window's; the cap ends with the month. Before the fix it was
    retried every 15 minutes."""
    inject(emulator, "x", "POST /2/tweets", kind="usage_capped")
    with pytest.raises(AccountPaused) as caught:
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    now = datetime.now(UTC)
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    assert caught.value.until == next_month
    assert "monthly usage cap" in caught.value.reason


def test_cap_periods_end_at_midnight_or_the_next_month() -> None:
    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    assert errors.cap_ends("Daily", december) == datetime(2027, 1, 1, tzinfo=UTC)
    assert errors.cap_ends("Monthly", december) == datetime(2027, 1, 1, tzinfo=UTC)
    assert errors.cap_ends("Monthly", datetime(2027, 1, 31, 12, tzinfo=UTC).timestamp()) == datetime(
        2027, 2, 1, tzinfo=UTC
    )


def test_an_app_not_enrolled_pauses_the_account(emulator: EmulatorServer) -> None:
    """403 client-forbidden (ClientForbiddenProblem): the app is not attached to a project; a person
    fixes it in the developer console. The same kind as 402: the account, not the post."""
    inject(
        emulator,
        "x",
        "POST /2/tweets",
        status=403,
        headers={"Content-Type": "application/problem+json"},
        body={
            "title": "Client Forbidden",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
            "tokens from a Twitter developer App that is attached to a Project.",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
            "reason": "client-not-enrolled",
            "registration_url": "https://developer.x.com/en/portal/projects-and-apps",
        },
    )
    with pytest.raises(AccountPaused) as caught:
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    assert caught.value.until is None and "project" in caught.value.advice
    assert judged(emulator)[-1]["response"]["ok"]


def test_duplicate_content_is_read_from_x_detail_whatever_the_content_type(emulator: EmulatorServer) -> None:
    """X labels its problems application/json on the wire (the document says application/problem+json):
    the duplicate is recognised either way, and only on a 403 about:blank of the create call."""
    inject(
        emulator,
        "x",
        "POST /2/tweets",
        status=403,
        headers={"Content-Type": "application/json; charset=utf-8"},
        body={
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )
    with pytest.raises(Rejected) as caught:
        make_adapter(emulator, "x").publish(Content(text="Deux fois."))
    assert caught.value.duplicate
    body = {"detail": "duplicate", "type": "about:blank"}
    assert errors.is_duplicate(403, body) and not errors.is_duplicate(400, body)
    assert not errors.is_duplicate(403, {**body, "type": "https://api.twitter.com/2/problems/client-forbidden"})


def test_24_hour_cap_is_respected(emulator: EmulatorServer) -> None:
    """A 429 with x-user-limit-24hour-remaining 0 waits for that reset (docs.x.com/x-api/fundamentals/rate-limits)."""
    day = int(time.time()) + 86_000
    inject(
        emulator,
        "x",
        "POST /2/tweets",
        status=429,
        headers={
            "Content-Type": "application/problem+json",
            "x-rate-limit-remaining": "250",
            "x-rate-limit-reset": str(int(time.time()) + 60),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(day),
        },
        body={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    assert caught.value.retry_after > 80_000


def test_5xx_html_during_upload_is_transient(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "x", "POST /2/media/upload/initialize", status=502, body="<html>Bad gateway</html>")
    with pytest.raises(Transient):
        make_adapter(emulator, "x").publish(Content(text="Vidéo", video=videos["good"]))
    assert published(emulator) == []


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer) -> None:
    inject(emulator, "x", "POST /2/tweets", status=201, body={"data": {}})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "x").publish(Content(text="Signaler."))


# --- the dispatcher and doctor: a paused account -------------------------------------------------


@pytest.fixture
def dispatch_env(tmp_path: Path, emulator: EmulatorServer, database_url: str) -> Any:
    yield from make_env(tmp_path, emulator, database_url, small_campaign())


def _x_account(env: Any) -> Account:
    with Session(env.database.engine) as session:
        return session.exec(select(Account).where(Account.name == "x-main")).one()


def test_credits_spent_pause_the_account_doctor_says_what_to_do_and_resume_publishes(dispatch_env: Any) -> None:
    env = dispatch_env
    inject(env.emulator, "x", "POST /2/tweets", kind="credits_depleted")
    summary = env.dispatcher(batch=1).run_due()
    account = _x_account(env)
    x_states = {delivery.state for delivery in env.deliveries() if delivery.account_id == account.id}
    others = {delivery.state for delivery in env.deliveries() if delivery.account_id != account.id}
    assert x_states == {DeliveryState.PAUSED} and others == {DeliveryState.PUBLISHED}
    assert summary.failed == 0 and requests_to(env.emulator, "POST", "/2/tweets") == 1  # one call, not four
    assert account.paused_reason and account.paused_until is None and not account.needs_reauth
    doctor = env.cli("doctor")
    assert doctor.exit_code == 1
    line = next(line for line in doctor.stdout.splitlines() if "x-main is paused" in line)
    assert "402" in line and "credits" in line and "console.x.com" in line
    assert "clickable accounts resume x-main" in line and "4 deliveries wait" in line
    resumed = env.cli("accounts", "resume", "x-main")
    assert resumed.exit_code == 0 and "4 deliveries queued again" in resumed.stdout
    assert env.dispatcher().run_due().published == 4
    assert "x-main is paused" not in env.cli("doctor").stdout


def test_a_usage_cap_holds_the_account_until_the_cap_resets(dispatch_env: Any) -> None:
    env = dispatch_env
    inject(env.emulator, "x", "POST /2/tweets", kind="usage_capped")
    env.dispatcher(batch=1).run_due()
    account = _x_account(env)
    now = datetime.now(UTC)
    reset = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    assert account.paused_until == reset
    held = [delivery for delivery in env.deliveries() if delivery.account_id == account.id]
    assert {delivery.state for delivery in held} == {DeliveryState.RETRYING}
    assert {delivery.due_utc for delivery in held} == {reset} and {delivery.attempts for delivery in held} == {0}
    assert requests_to(env.emulator, "POST", "/2/tweets") == 1  # the capped call: the others waited
    doctor = env.cli("doctor")
    line = next(line for line in doctor.stdout.splitlines() if "x-main is paused" in line)
    assert f"until {format_utc(reset)} UTC" in line and "usage cap" in line and "resumes by itself" in line
