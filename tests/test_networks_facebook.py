"""Facebook Page adapter: our Graph client against the emulator over real HTTP.

What each test relies on is Meta's own documentation, linked where it is used; the requests themselves
are judged against Meta's node specs (Page.json, AdVideo.json…, see tests/test_graph_specs.py).
"""

from __future__ import annotations

import socket
import time
from importlib import resources
from pathlib import Path

import pytest
import requests

from networks.base import (
    CaptionTrack,
    Content,
    MediaHandle,
    NotSent,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from networks.emulator.part import Exchange
from networks.emulator.server import EmulatorServer
from networks.emulator.uploads import Upload
from networks.facebook.adapter import FacebookAdapter
from networks.graph.client import GraphError
from networks.registry import registry

from .conftest import inject, make_adapter, no_sleep, published, requests_to, sandbox_credentials
from .test_network_contract import _video

LINK = "https://clickable.example.org/r/fb3dkf7q"
PAGE_VIDEOS = "POST /{page-id}/videos"
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
    }
}


def facebook(emulator: EmulatorServer, **options: object) -> FacebookAdapter:
    adapter = make_adapter(emulator, "facebook", **options)
    assert isinstance(adapter, FacebookAdapter)
    return adapter


def calls(emulator: EmulatorServer, endpoint: str) -> list[dict[str, object]]:
    return [
        item
        for item in emulator.emulator.requests
        if item["network"] == "facebook" and f"{item['method']} {item['template']}" == endpoint
    ]


def test_text_and_link_post(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text=f"Parents : parlez-en tôt, sans juger. {LINK}", link=LINK))
    record = published(emulator)[0]
    assert (record["network"], record["id"], record["text"]) == (
        "facebook",
        result.remote_id,
        f"Parents : parlez-en tôt, sans juger. {LINK}",
    )
    page, _, post = result.remote_id.partition("_")
    assert post and result.url == f"https://www.facebook.com/{page}/posts/{post}"


def test_token_is_never_in_a_url(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook")
    adapter.publish(Content(text="Texte"))
    adapter.publish(Content(text="Reel", video=videos["good"]))
    adapter.fetch_metrics([item["id"] for item in published(emulator)])  # type: ignore[misc]
    assert all("access_token" not in item["query_keys"] for item in emulator.emulator.requests)


def test_calls_are_pinned_to_graph_v25(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    """developers.facebook.com/docs/graph-api/changelog/versions: v25.0 lives until 2028-07-29."""
    make_adapter(emulator, "facebook", reels=False).publish(Content(text="Vidéo", video=videos["good"]))
    paths = [item["path"] for item in emulator.emulator.requests if item["network"] == "facebook"]
    assert paths and all("/v25.0/" in path for path in paths)


def test_reel_start_rupload_finish(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    """developers.facebook.com/docs/video-api/guides/reels-publishing"""
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text="Chantage aux photos ? Ne paie pas. #3018", video=videos["good"]))
    record = published(emulator)[0]
    assert record["id"] == result.remote_id and record["media"] == [result.remote_id]
    assert bytes(emulator.emulator.uploads[result.remote_id].data) == videos["good"].read_bytes()
    assert requests_to(emulator, "POST", "/video-upload/v25.0/") == 1


# --- Page videos: the Page-token flow, not the app's upload sessions ----------------------------


def test_page_video_goes_start_transfer_finish_with_the_page_token(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """developers.facebook.com/docs/video-api/guides/publishing (resumable upload, Page token):
    POST /{page-id}/videos upload_phase=start → transfer (the chunks the server asks for) → finish.
    The resumable upload session (POST /{app-id}/uploads, graph-api/guides/upload) needs an app id and
    a User token: it was called with the Page id and the Page token."""
    adapter = facebook(emulator, reels=False)
    result = adapter.publish(Content(text="Capsule", title="Signaler", video=videos["good"]))
    size = videos["good"].stat().st_size
    phases = [item["status"] for item in calls(emulator, PAGE_VIDEOS)]
    assert len(phases) == 2 + -(-size // (64 * 1024)) and set(phases) == {200}  # start, each chunk, finish
    assert not [item for item in emulator.emulator.requests if "/uploads" in str(item["path"])]
    video = emulator.emulator.objects[result.remote_id]
    assert bytes(video["upload"].data) == videos["good"].read_bytes()
    assert [item["id"] for item in published(emulator)] == [result.remote_id] and not result.processing


@pytest.mark.refused_requests
def test_the_upload_session_is_not_an_edge_of_a_page(emulator: EmulatorServer) -> None:
    """What the old flow sent: POST /{page-id}/uploads with the Page token. Page.json declares no
    uploads edge (Application.json does): Graph's own refusal."""
    credentials = emulator.emulator.credentials()["facebook"]
    answer = requests.post(
        f"{emulator.url}/v25.0/{credentials['page_id']}/uploads",
        data={"file_name": "capsule.mp4", "file_length": "1000", "file_type": "video/mp4"},
        headers={"Host": "graph.facebook.com", "Authorization": f"OAuth {credentials['page_token']}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "message": "(#100) Tried accessing nonexisting field (uploads) on node type (Page)",
        "type": "OAuthException",
        "code": 100,
        "fbtrace_id": "Aemulator",
    }


def test_a_cut_upload_resumes_from_the_offset_the_server_gives(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """The server names the next chunk (start_offset/end_offset); a transfer at another offset is
    answered with the offsets it expects (error_data), and the upload goes on from there."""
    adapter = facebook(emulator, reels=False)
    armed: list[bool] = []

    def cut_after_two_chunks(exchange: Exchange) -> None:
        ok = exchange.template == "/{page-id}/videos" and exchange.status == 200
        if ok and not armed and len(calls(emulator, PAGE_VIDEOS)) == 3:  # start and two chunks went through
            armed.append(True)
            emulator.emulator.add_fault(
                {
                    "network": "facebook",
                    "endpoint": PAGE_VIDEOS,
                    "status": 503,
                    "body": "<html>busy</html>",
                }
            )

    emulator.emulator.add_recorder(cut_after_two_chunks)
    content = Content(text="Reprise", video=videos["good"])
    with pytest.raises(Transient):
        adapter.upload_media(content)
    part = emulator.emulator.part("facebook")
    [(session, video_id)] = part.sessions.items()  # type: ignore[attr-defined]
    stored: Upload = emulator.emulator.uploads[video_id]
    assert len(stored.data) == 2 * 64 * 1024
    # resumed from a handle that knows nothing of what was sent: the server says where it stands
    handle = adapter.upload_media(
        content, MediaHandle("facebook", video_id, 0, 0, {"kind": "video", "session": session})
    )
    assert handle is not None and handle.uploaded_bytes == videos["good"].stat().st_size
    assert bytes(stored.data) == videos["good"].read_bytes()
    result = adapter.create(content, handle)
    assert adapter.poll(result).remote_id == video_id


# --- Reels: 3-90 s, 9:16, at least 540×960, 30 a day per Page ----------------------------------


@pytest.mark.parametrize(
    ("size", "seconds", "reason"),
    [
        ("540x960", 2.0, "lasts 2 s, Reels take 3 to 90 s"),
        ("540x960", 91.0, "lasts 91 s, Reels take 3 to 90 s"),
        ("600x800", 4.0, "600×800, Reels take 9:16"),
        ("270x480", 4.0, "270×480, Reels take at least 540×960"),
    ],
)
def test_an_out_of_spec_reel_is_refused_before_any_upload(
    emulator: EmulatorServer, tmp_path: Path, size: str, seconds: float, reason: str
) -> None:
    """developers.facebook.com/docs/video-api/guides/reels-publishing#requirements (the spec's VideoRules)."""
    video = _video(tmp_path / "reel.mp4", seconds, size=size)
    with pytest.raises(Rejected, match=reason):
        make_adapter(emulator, "facebook").publish(Content(text="Hors format", video=video))
    assert emulator.emulator.requests == []  # not one call, not a byte


@pytest.mark.refused_requests
def test_the_network_refuses_a_reel_that_skipped_the_check(emulator: EmulatorServer, tmp_path: Path) -> None:
    """A client that does not check: Meta's processing refuses the Reel at finish (code 6000)."""
    adapter = facebook(emulator)
    content = Content(text="Trop long", video=_video(tmp_path / "long.mp4", 91.0, size="540x960"))
    handle = adapter.upload_video(content, None, None)  # the checks upload_media runs are skipped
    with pytest.raises(GraphError) as refused:
        adapter.create(content, handle)
    assert refused.value.code == 6000 and "Reels take 3 to 90 s" in refused.value.reason
    assert published(emulator) == []


def _reels_published_earlier(emulator: EmulatorServer, count: int, hours_ago: float) -> None:
    """``count`` Reels the Page published ``hours_ago`` (by another tool: clickable's caps never saw them)."""
    core = emulator.emulator
    for index in range(count):
        reel = core.next_id()
        core.objects[reel] = {
            "network": "facebook",
            "kind": "reel",
            "text": f"r{index}",
            "upload": Upload(total=1),
        }
        core.record("facebook", "100000000001", reel, f"Reel {index}", [reel])
        core.objects[reel]["created"] = core.now() - hours_ago * 3600 + index


def test_the_thirty_first_reel_of_the_day_waits_and_sends_no_byte(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """Reels publishing guide, Limitations: 30 API-published Reels per Page in a moving 24-hour window.
    The adapter counts the Page's own Reels (GET /{page-id}/video_reels?since=) before uploading."""
    _reels_published_earlier(emulator, 30, hours_ago=20)
    adapter = make_adapter(emulator, "facebook", clock=lambda: time.time() + emulator.emulator.clock_offset)
    with pytest.raises(RateLimited) as waiting:
        adapter.publish(Content(text="Le trente et unième", video=videos["good"]))
    assert 4 * 3600 - 60 <= waiting.value.retry_after <= 4 * 3600 + 60  # when the oldest leaves the window
    assert calls(emulator, "POST /{page-id}/video_reels") == []
    emulator.emulator.clock_offset += 4 * 3600 + 60
    assert adapter.publish(Content(text="Le lendemain", video=videos["good"])).remote_id


@pytest.mark.refused_requests
def test_the_network_refuses_the_thirty_first_reel(emulator: EmulatorServer) -> None:
    _reels_published_earlier(emulator, 30, hours_ago=1)
    adapter = facebook(emulator)
    with pytest.raises(RateLimited):
        adapter.client.request("POST", f"{adapter.page}/video_reels", data={"upload_phase": "start"})


def test_upload_resumes_from_the_server_offset_on_reels(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    inject(emulator, "facebook", "POST /video-upload/{video-id}", status=503, body="<html>busy</html>")
    adapter = facebook(emulator)
    content = Content(text="Reprise", video=videos["good"])
    with pytest.raises(Transient):
        adapter.upload_media(content)
    [reel] = [key for key, item in emulator.emulator.objects.items() if item.get("kind") == "reel"]
    handle = adapter.upload_media(content, MediaHandle("facebook", reel, 0, 0, {"kind": "reel"}))
    assert handle is not None and handle.uploaded_bytes == videos["good"].stat().st_size


def test_posts_and_reels_are_measured_on_their_own_edges(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """Post insights (graph-api/reference/insights): post_media_view, post_total_media_view_unique,
    post_reactions_like_total, post_clicks replace the post_impressions family; Reels read
    /{video-id}/video_insights (video-api/guides/insights)."""
    adapter = make_adapter(emulator, "facebook")
    post = adapter.publish(Content(text="Mesure"))
    reel = adapter.publish(Content(text="Mesure vidéo", video=videos["good"]))
    emulator.emulator.clock_offset += 6 * 3600
    readings = {
        reading.remote_id: reading for reading in adapter.fetch_metrics([post.remote_id, reel.remote_id])
    }
    assert set(readings[post.remote_id].raw) == {
        "post_media_view",
        "post_total_media_view_unique",
        "post_reactions_like_total",
        "post_clicks",
    }
    assert readings[post.remote_id].normalised["views"] > 0
    assert (
        readings[reel.remote_id].normalised["video_views"] > 0
        and readings[reel.remote_id].normalised["watch_time"] > 0
    )


def test_find_published_finds_a_reel_by_its_description(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "facebook")
    adapter.publish(Content(text=f"Le 119 répond 24 h/24. {LINK}"))
    reel = adapter.publish(Content(text="Reel à retrouver", video=videos["good"]))
    found = adapter.find_published(Content(text="Reel à retrouver").fingerprint)
    assert found is not None and found.remote_id == reel.remote_id


# --- the fault matrix ---------------------------------------------------------------------------


def test_5xx_json_without_error_during_read_is_transient(emulator: EmulatorServer) -> None:
    inject(emulator, "facebook", "GET /{id}", status=502, body={"unexpected": True})
    with pytest.raises(Transient):
        make_adapter(emulator, "facebook").check_credentials()


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer) -> None:
    inject(emulator, "facebook", "POST /{page-id}/feed", status=200, body={"success": True})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "facebook").publish(Content(text="Texte"))


# --- caption tracks in every language -------------------------------------------------------------
# POST /{video-id}/captions takes captions_file (named name.LOCALE.srt) and default_locale, no
# locale field: Meta's AdVideo.json spec (networks/graph/specs/, from facebook-business-sdk-codegen)
# and https://developers.facebook.com/docs/graph-api/reference/video/captions/ ; a file name without
# a known locale is refused with error 385.

SPECS = resources.files("networks.graph").joinpath("specs")  # a clean clone has no ../shared


def tracks(folder: Path, *languages: str, burned: str | None = None) -> tuple[CaptionTrack, ...]:
    texts = {"fr": "Tu peux en parler.", "rcf": "Ou pé koz.", "swb": "Rongowa.", "en": "You can talk."}
    made = []
    for language in languages:
        srt = folder / f"dire-non.{language}.srt"
        srt.write_text(f"1\n00:00:00,500 --> 00:00:02,000\n{texts[language]}\n", "utf-8")
        made.append(CaptionTrack(language, srt, None, burned_in=language == burned))
    return tuple(made)


@pytest.mark.parametrize("reels", [True, False])
def test_every_language_goes_out_with_its_locale_and_the_reason_when_one_cannot(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path, reels: bool
) -> None:
    """La Réunion [rcf, fr]: Creole burned in, French as the default track; Réunion Creole and
    Shimaore have no Facebook locale, and the nearest (fr_FR) carries the French track."""
    adapter = make_adapter(emulator, "facebook", reels=reels)
    result = adapter.publish(
        Content(
            text="Tu as le droit de dire non.",
            video=videos["good"],
            captions=tracks(tmp_path, "rcf", "fr", "swb", burned="rcf"),
            languages=("rcf", "fr"),
        )
    )
    video = emulator.emulator.objects[result.remote_id]
    assert video["captions"] == {"fr_FR": "1\n00:00:00,500 --> 00:00:02,000\nTu peux en parler.\n"}
    assert video["default_locale"] == "fr_FR"
    assert result.notes == (
        "caption track rcf (Réunion Creole French) not uploaded: Facebook has no caption locale for it, "
        "and the nearest, fr_FR, carries its own track",
        "caption track swb (Comorian) not uploaded: Facebook has no caption locale for it, "
        "and the nearest, fr_FR, carries its own track",
    )


def test_a_tag_without_a_locale_falls_back_to_the_nearest_accepted_one(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    adapter = make_adapter(emulator, "facebook", reels=False)
    result = adapter.publish(
        Content(
            text="Ou pé koz.",
            video=videos["good"],
            captions=tracks(tmp_path, "rcf", "en"),
            languages=("rcf", "fr"),
        )
    )
    video = emulator.emulator.objects[result.remote_id]
    assert set(video["captions"]) == {"fr_FR", "en_US"} and "Ou pé koz." in video["captions"]["fr_FR"]
    assert video["default_locale"] == "fr_FR"  # the first track not burned in
    assert result.notes == (
        "caption track rcf (Réunion Creole French) uploaded as fr_FR: Facebook has no caption locale "
        "for it, fr_FR is the nearest",
    )


def test_a_track_refused_by_the_network_is_a_note_not_a_failure(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    inject(
        emulator,
        "facebook",
        "POST /{video-id}/captions",
        status=500,
        body={"error": {"message": "x", "code": 2}},
        times=5,
    )
    adapter = make_adapter(emulator, "facebook", reels=True)
    result = adapter.publish(Content(text="Capsule", video=videos["good"], captions=tracks(tmp_path, "fr")))
    assert published(emulator)[0]["id"] == result.remote_id  # the Reel is out
    assert len(result.notes) == 1 and result.notes[0].startswith("caption track fr (fr_FR) not uploaded:")


@pytest.mark.refused_requests
def test_the_emulator_takes_the_captions_edge_as_the_spec_says(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    import json

    from networks.base import NetworkError
    from networks.facebook.emulator import CAPTION_PARAMS

    spec = json.loads(SPECS.joinpath("AdVideo.json").read_text("utf-8"))
    edge = next(api for api in spec["apis"] if api["method"] == "POST" and api["endpoint"] == "captions")
    assert {param["name"] for param in edge["params"]} == CAPTION_PARAMS
    adapter = make_adapter(emulator, "facebook", reels=False)
    assert isinstance(adapter, FacebookAdapter)
    video_id = adapter.publish(Content(text="Sans sous-titres", video=videos["good"])).remote_id
    srt = b"1\n00:00:00,500 --> 00:00:02,000\nTu peux en parler.\n"
    with pytest.raises(NetworkError, match=r"\(#100\) Param locale is not a valid parameter"):
        adapter.client.request(
            "POST",
            f"{video_id}/captions",
            data={"locale": "fr_FR"},
            files={"captions_file": ("c.fr_FR.srt", srt)},
        )
    with pytest.raises(NetworkError, match=r"\(#385\)"):
        adapter.client.request("POST", f"{video_id}/captions", files={"captions_file": ("c.rcf.srt", srt)})
    adapter.client.request(
        "POST",
        f"{video_id}/captions",
        data={"default_locale": "fr_FR"},
        files={"captions_file": ("c.fr_FR.srt", srt)},
    )
    assert emulator.emulator.objects[video_id]["default_locale"] == "fr_FR"


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_a_graph_call_that_never_left_is_not_sent(
    emulator: EmulatorServer, videos: dict[str, Path], network: str
) -> None:
    """A refused connection: the call certainly never reached Meta, create call or not, so it is
    NotSent (retried as it is, never reconciled as unconfirmed), as networks.base.connection_failure
    decides for every adapter."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    adapter = registry().adapter_class(network)(
        sandbox_credentials(emulator, network), emulator_url=closed, sleep=no_sleep, timeout=2.0
    )
    content = (
        Content(text="Jamais parti", link=LINK)
        if network == "facebook"
        else Content(text="Jamais parti", video=videos["good"])
    )
    with pytest.raises(NotSent, match="the Graph API not sent: cannot connect"):
        adapter.publish(content)
