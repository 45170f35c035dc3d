"""Facebook Page adapter: our Graph client against the emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from networks.base import (
    CaptionTrack,
    Content,
    Transient,
    Unconfirmed,
)
from networks.emulator.server import EmulatorServer
from networks.facebook.adapter import FacebookAdapter

from .conftest import inject, make_adapter, published, requests_to

LINK = "https://clickable.example.org/r/fb3dkf7q"
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
    }
}


def test_text_and_link_post(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text=f"Parents : parlez-en tôt, sans juger. {LINK}", link=LINK))
    record = published(emulator)[0]
    assert (record["network"], record["id"], record["text"]) == (
        "facebook",
        result.remote_id,
        f"Parents : parlez-en tôt, sans juger. {LINK}",
    )
    assert "_" in result.remote_id


def test_token_is_never_in_a_url(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook")
    adapter.publish(Content(text="Texte"))
    adapter.publish(Content(text="Reel", video=videos["good"]))
    adapter.fetch_metrics([item["id"] for item in published(emulator)])  # type: ignore[misc]
    assert all("access_token" not in item["query_keys"] for item in emulator.emulator.requests)


def test_reel_start_rupload_finish(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text="Chantage aux photos ? Ne paie pas. #3018", video=videos["good"]))
    record = published(emulator)[0]
    assert record["id"] == result.remote_id and record["media"] == [result.remote_id]
    assert bytes(emulator.emulator.uploads[result.remote_id].data) == videos["good"].read_bytes()
    assert requests_to(emulator, "POST", "/video-upload/") == 1


def test_resumable_video_with_captions(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook", reels=False)
    result = adapter.publish(
        Content(
            text="Capsule",
            title="Signaler, c'est protéger",
            video=videos["good"],
            captions=(CaptionTrack("fr", videos["captions"], None),),
        )
    )
    video = emulator.emulator.objects[result.remote_id]
    assert "Tu peux en parler." in video["captions"]["fr_FR"]
    assert video["default_locale"] == "fr_FR" and result.notes == ()
    assert bytes(video["upload"].data) == videos["good"].read_bytes()


def test_upload_resumes_from_the_server_offset(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook", reels=False)
    assert isinstance(adapter, FacebookAdapter)
    inject(emulator, "facebook", "POST /upload:{upload-id}", status=503, body="<html>busy</html>")
    content = Content(text="Reprise", video=videos["good"])
    with pytest.raises(Transient):
        adapter.upload_media(content)
    session = next(key for key in emulator.emulator.uploads if key.startswith("upload:"))
    from networks.base import MediaHandle

    handle = adapter.upload_media(content, MediaHandle("facebook", session, 0, 0, {"kind": "video"}))
    assert handle is not None and handle.uploaded_bytes == videos["good"].stat().st_size


def test_posts_and_reels_are_measured_on_their_own_edges(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "facebook")
    post = adapter.publish(Content(text="Mesure"))
    reel = adapter.publish(Content(text="Mesure vidéo", video=videos["good"]))
    emulator.emulator.clock_offset += 6 * 3600
    readings = {
        reading.remote_id: reading for reading in adapter.fetch_metrics([post.remote_id, reel.remote_id])
    }
    assert readings[post.remote_id].normalised["views"] > 0  # /{post-id}/insights
    assert (  # /{video-id}/video_insights
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


def test_any_graph_version_is_accepted(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "facebook")
    assert isinstance(adapter, FacebookAdapter)
    adapter.client.version = "v25.0"
    assert "sandbox" in adapter.check_credentials()


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
# locale field: Meta's AdVideo.json spec (../shared/data/meta-graph-specs/, facebook-business-sdk-codegen)
# and https://developers.facebook.com/docs/graph-api/reference/video/captions/ ; a file name without
# a known locale is refused with error 385.

SPECS = Path(__file__).resolve().parents[2] / "shared" / "data" / "meta-graph-specs"


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


def test_the_emulator_takes_the_captions_edge_as_the_spec_says(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    import json

    from networks.base import NetworkError
    from networks.facebook.emulator import CAPTION_PARAMS

    spec = json.loads((SPECS / "AdVideo.json").read_text("utf-8"))
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
