"""Bluesky: what the contract suite does not cover, judged by the AT Protocol's own ground truth.

Ground truth relied on (each case below names the one it checks):
- the lexicons, through the ``atproto`` package's generated models (app.bsky.feed.post, app.bsky.embed.video,
  app.bsky.richtext.facet, the XRPC methods' Data/Params/Response), and the constraints those models do not
  carry, transcribed from https://github.com/bluesky-social/atproto/tree/main/lexicons:
  post text ≤ 300 graphemes and ≤ 3,000 bytes, langs ≤ 3, a caption blob text/vtt ≤ 20,000 bytes;
- rich text: https://docs.bsky.app/docs/advanced-guides/post-richtext (facets index UTF-8 bytes, end exclusive);
- video: https://docs.bsky.app/docs/tutorials/video (service token for the PDS's did:web and
  com.atproto.repo.uploadBlob, upload to video.bsky.app with did and name, getJobStatus until a blob;
  a verified e-mail address before any video; already_exists hands back the earlier blob);
- the reference PDS (github.com/bluesky-social/atproto, packages/pds): ExpiredToken/InvalidToken are HTTP 400,
  AuthenticationRequired 401 "Invalid identifier or password", getServiceAuth refuses a token living over an
  hour, an app password's session has scope com.atproto.appPass and the main password's com.atproto.access.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from pydantic import SecretStr
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from networks.base import CaptionTrack, Content, NeedsReauth, RateLimited, Rejected
from networks.bluesky import text as bluesky_text
from networks.bluesky.adapter import BlueskyAdapter
from networks.bluesky.emulator import MAIN_PASSWORD, BlueskyPart
from networks.credentials import Credentials
from networks.emulator.server import EmulatorServer

from .conftest import make_adapter, published, small_campaign
from .test_dispatch import make_env

LINK = "https://clickable.example.org/r/ct3dkf7q"


def part(server: EmulatorServer) -> BlueskyPart:
    found = server.emulator.part("bluesky")
    assert isinstance(found, BlueskyPart)
    return found


def exchanges(server: EmulatorServer) -> list[dict[str, object]]:
    return [item for item in server.emulator.requests if item["network"] == "bluesky"]


def calls(server: EmulatorServer, nsid: str) -> int:
    return sum(1 for item in exchanges(server) if item["template"] == f"/xrpc/{nsid}")


@pytest.fixture
def vtt(tmp_path: Path) -> dict[str, Path]:
    """Two languages' WebVTT sidecars, as capsules writes them (name.LANG.vtt)."""
    files = {}
    for language, line in (("fr", "Tu as le droit de dire non."), ("rcf", "Ou na le droi di non.")):
        path = tmp_path / f"dire-non.{language}.vtt"
        path.write_text(f"WEBVTT\nLanguage: {language}\n\n00:00:00.000 --> 00:00:02.000\n{line}\n", "utf-8")
        files[language] = path
    return files


# -- text -------------------------------------------------------------------------------------------


def test_text_is_counted_in_graphemes_not_code_points() -> None:
    """A flag, a family emoji and an e with a combining accent are one grapheme each (lexicon maxGraphemes)."""
    family, flag, accented = "👨\u200d👩\u200d👧", "🇫🇷", "e\u0301"
    assert bluesky_text.graphemes(family + flag + accented) == 3
    text = (family + flag + accented) * 100  # 300 graphemes, 900 code points
    assert len(text) == 900 and bluesky_text.measure(text).ok
    refused = bluesky_text.measure(text + "!")
    assert not refused.ok and refused.length == 301 and refused.reason == "301 graphemes, Bluesky allows 300"
    family_of_four = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 bytes
    assert bluesky_text.measure(family_of_four * 120).ok  # 3,000 bytes
    assert bluesky_text.measure(family_of_four * 121).reason == "3025 bytes in UTF-8, Bluesky allows 3000"


def test_campaign_check_counts_bluesky_graphemes_and_names_the_line(tmp_path: Path) -> None:
    import yaml

    from campaign.checks import check_file
    from networks.registry import registry

    campaign = small_campaign(posts=1, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {"bsky-main": {"network": "bluesky", "sandbox": True}}
    long_text = "Signaler, c'est protéger. " * 12  # 312 graphemes
    campaign["posts"] = [
        {"id": "ok", "text": "🇫🇷 " * 150, "accounts": ["bsky-main"]},  # 300 graphemes, 1,050 bytes
        {"id": "long", "text": long_text, "accounts": ["bsky-main"]},
    ]
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False), "utf-8")
    problems = [str(problem) for problem in check_file(path, networks=registry()).problems]
    assert len(problems) == 1, problems
    assert "campaign.yaml:" in problems[0] and "graphemes, Bluesky allows 300" in problems[0]


def test_links_and_hashtags_are_facets_with_utf8_byte_offsets(emulator: EmulatorServer) -> None:
    """Accents and emoji before and after the link: the facet's bytes are the link, end exclusive."""
    text = f"Été 🌞 : à l'école, ça arrive 😟 — signale-le ici {LINK} 👉 c'est protéger. #Clickable #Été"
    result = make_adapter(emulator, "bluesky").publish(Content(text=text, link=LINK, language="fr"))
    [record] = [item for item in published(emulator) if item["id"] == result.remote_id]
    stored = record["record"]["text"].encode("utf-8")  # type: ignore[index]
    spans = {
        stored[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8"): facet["features"][0]
        for facet in record["facets"]  # type: ignore[attr-defined]
    }
    assert spans[LINK] == {"$type": "app.bsky.richtext.facet#link", "uri": LINK}
    assert spans["#Clickable"]["tag"] == "Clickable" and spans["#Été"]["tag"] == "Été"
    start = text.encode("utf-8").index(LINK.encode())
    assert start != text.index(LINK)  # bytes and characters differ: the offsets are bytes
    assert record["langs"] == ["fr"]
    assert all(item["request"]["checked"] and item["request"]["ok"] for item in exchanges(emulator))


@pytest.mark.refused_requests("bluesky")
def test_the_emulator_refuses_what_the_lexicon_refuses(emulator: EmulatorServer) -> None:
    """createRecord validated with atproto's models and the lexicon's own limits: the PDS's 400 InvalidRequest."""
    adapter = make_adapter(emulator, "bluesky")
    assert isinstance(adapter, BlueskyAdapter)
    good = adapter.record(Content(text="Parles-en.", language="fr"), None)
    pds = {
        "Host": "sandbox.us-east.host.bsky.network",
        "Authorization": f"Bearer {adapter.client._session.access_jwt}",  # type: ignore[union-attr]
    }
    video = requests.post(  # a video blob on the PDS, for the embed's own limits
        f"{emulator.url}/xrpc/com.atproto.repo.uploadBlob",
        headers={**pds, "Content-Type": "video/mp4"},
        data=b"\x00\x00\x00\x18ftypmp42",
        timeout=5,
    ).json()["blob"]
    cases = {
        # app.bsky.embed.video: alt maxGraphemes 1000 (lexicons/app/bsky/embed/video.json)
        "alt of 1,001 graphemes": {
            **good,
            "embed": {"$type": "app.bsky.embed.video", "video": video, "alt": "é" * 1001},
        },
        "graphemes": {**good, "text": "é" * 301},
        "language tag": {**good, "langs": ["pas une langue"]},
        "four languages": {**good, "langs": ["fr", "rcf", "swb", "gcf"]},
        "date": {**good, "createdAt": "hier"},
        "facet cut inside a character": {
            **good,
            "text": "Été",
            "facets": [
                {
                    "index": {"byteStart": 0, "byteEnd": 1},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "É"}],
                }
            ],
        },
    }
    for name, record in cases.items():
        answer = requests.post(
            f"{emulator.url}/xrpc/com.atproto.repo.createRecord",
            headers=pds,
            json={"repo": adapter.did, "collection": "app.bsky.feed.post", "record": record},
            timeout=5,
        )
        assert answer.status_code == 400, name
        assert answer.json()["error"] == "InvalidRequest" and set(answer.json()) == {"error", "message"}, name
        if name.startswith("alt"):
            assert "embed/alt must not be longer than 1000 graphemes" in answer.json()["message"]
    assert [item for item in published(emulator) if item["network"] == "bluesky"] == []


# -- video and captions --------------------------------------------------------------------------------


def test_a_capsule_with_two_subtitle_languages_carries_both_caption_tracks(
    tmp_path: Path, emulator: EmulatorServer, database_url: str, videos: dict[str, Path], vtt: dict[str, Path]
) -> None:
    """Through the dispatcher, as `capsule render` records a capsule in French and Réunion Creole: both
    VTT tracks are uploaded as text/vtt blobs and the post's embed names them with their language tags;
    the alt text is the post's language's."""
    from campaign.models import Capsule

    campaign = small_campaign(posts=0, territories={"re": ("La Réunion", "Indian/Reunion")})
    campaign["territories"]["re"]["languages"] = ["rcf", "fr"]  # type: ignore[index]
    campaign["accounts"] = {"bsky-main": {"network": "bluesky", "sandbox": True}}
    campaign["capsules"] = {"dire-non": {"script": "dire-non.yaml"}}
    campaign["posts"] = [
        {
            "id": "dire-non",
            "text": "Tu as le droit de dire non. {link}",
            "accounts": ["bsky-main"],
            "capsule": "dire-non",
        }
    ]
    (tmp_path / "dire-non.yaml").write_text("title: dire-non\n", "utf-8")
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    try:
        with Session(env.database.engine) as session:
            capsule = session.exec(select(Capsule)).one()
            capsule.outputs = {  # as `capsule render` records it (render.CapsuleRender.outputs)
                "languages": ["fr", "rcf"],
                "renders": {"vertical.rcf": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
                "captions": {tag: {"vtt": str(path)} for tag, path in vtt.items()},
                "alt_text": {"fr": "Une jeune fille dit non à un écran.", "rcf": "In zenfan i di non."},
            }
            session.add(capsule)
            session.commit()
        summary = env.dispatcher().run_due()
        assert summary.published == 1, summary.problems
    finally:
        env.database.dispose()
    [record] = [item for item in published(emulator) if item["network"] == "bluesky"]
    assert [(track["lang"], track["mimeType"]) for track in record["captions"]] == [  # type: ignore[attr-defined]
        ("rcf", "text/vtt"),
        ("fr", "text/vtt"),
    ]
    assert [track["size"] for track in record["captions"]] == [
        vtt["rcf"].stat().st_size,
        vtt["fr"].stat().st_size,
    ]  # type: ignore[attr-defined]
    embed = record["record"]["embed"]  # type: ignore[index]
    assert embed["$type"] == "app.bsky.embed.video" and embed["alt"] == "Une jeune fille dit non à un écran."
    assert embed["aspectRatio"] == {"$type": "app.bsky.embed.defs#aspectRatio", "width": 540, "height": 960}
    assert record["langs"] == ["fr"]
    assert (
        calls(emulator, "com.atproto.repo.uploadBlob") == 2
        and calls(emulator, "app.bsky.video.uploadVideo") == 1
    )
    assert all(item["request"]["ok"] and item["response"]["ok"] for item in exchanges(emulator))


def test_the_video_goes_through_the_video_service_with_service_tokens(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    make_adapter(emulator, "bluesky").publish(Content(text="Vidéo", video=videos["good"], language="fr"))
    order = [item["template"] for item in exchanges(emulator)]
    assert order[:5] == [
        "/xrpc/com.atproto.server.createSession",
        "/xrpc/com.atproto.server.getServiceAuth",  # for did:web:video.bsky.app, getUploadLimits
        "/xrpc/app.bsky.video.getUploadLimits",
        "/xrpc/com.atproto.server.getServiceAuth",  # for the PDS's did:web, uploadBlob
        "/xrpc/app.bsky.video.uploadVideo",
    ]
    hosts = {item["template"]: item["host"] for item in exchanges(emulator)}
    assert hosts["/xrpc/app.bsky.video.uploadVideo"] == "video.bsky.app"
    assert (
        hosts["/xrpc/com.atproto.repo.createRecord"] == "sandbox.us-east.host.bsky.network"
    )  # the DID doc's PDS
    assert "/xrpc/app.bsky.video.getJobStatus" in order


def test_the_same_video_again_reuses_the_blob_the_service_made(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "bluesky")
    first = adapter.publish(Content(text="Première", video=videos["good"]))
    second = adapter.publish(Content(text="Seconde", video=videos["good"]))
    records = {item["id"]: item for item in published(emulator)}
    assert records[first.remote_id]["media"] == records[second.remote_id]["media"]  # already_exists: its blob


def test_an_account_whose_email_is_not_verified_cannot_upload_a_video(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    part(emulator).email_confirmed = False
    adapter = make_adapter(emulator, "bluesky")
    with pytest.raises(Rejected, match="verified its e-mail address"):
        adapter.publish(Content(text="Vidéo", video=videos["good"]))
    assert calls(emulator, "app.bsky.video.uploadVideo") == 0
    assert "e-mail address not verified" in adapter.check_credentials()


def test_a_used_up_daily_video_allowance_waits(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    part(emulator).videos_today = 25
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "bluesky").publish(Content(text="Vidéo", video=videos["good"]))
    assert 60 <= caught.value.retry_after <= 86_400
    assert calls(emulator, "app.bsky.video.uploadVideo") == 0


def test_captions_over_the_lexicon_s_size_are_refused_before_the_video_is_sent(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    big = tmp_path / "long.fr.vtt"
    big.write_text("WEBVTT\n\n" + "00:00:00.000 --> 00:00:01.000\nabc\n\n" * 700, "utf-8")
    with pytest.raises(Rejected, match="at most 20000"):
        make_adapter(emulator, "bluesky").publish(
            Content(text="Vidéo", video=videos["good"], captions=(CaptionTrack("fr", None, big),))
        )
    assert calls(emulator, "app.bsky.video.uploadVideo") == 0


def test_an_alt_text_over_the_lexicon_s_graphemes_is_refused_before_the_video_is_sent(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """app.bsky.embed.video: alt ≤ 1,000 graphemes (a flag is one): 1,000 flags go, 1,001 do not."""
    from networks.bluesky.spec import SPEC

    assert SPEC.media.alt_text_max == 1000  # what `capsule check` measures each language's alt text against
    adapter = make_adapter(emulator, "bluesky")
    with pytest.raises(Rejected, match="1001 graphemes, Bluesky takes at most 1000"):
        adapter.publish(
            Content(text="Vidéo", video=videos["good"], language="fr", alt_texts={"fr": "🇫🇷" * 1001})
        )
    assert calls(emulator, "app.bsky.video.uploadVideo") == 0
    result = adapter.publish(
        Content(text="Vidéo", video=videos["good"], language="fr", alt_texts={"fr": "🇫🇷" * 1000})
    )
    [record] = [item for item in published(emulator) if item["id"] == result.remote_id]
    assert record["record"]["embed"]["alt"] == "🇫🇷" * 1000  # type: ignore[index]


# -- credentials and sessions ------------------------------------------------------------------------


def credentials(server: EmulatorServer, **values: str) -> Credentials:
    stored = {**server.emulator.credentials()["bluesky"], **values}
    return Credentials(
        "bsky-main", "bluesky", {key: SecretStr(value) for key, value in stored.items()}, "test"
    )


def test_a_password_that_is_not_an_app_password_is_refused_before_any_call(emulator: EmulatorServer) -> None:
    adapter = BlueskyAdapter(
        credentials(emulator, app_password="mon-vrai-mot-de-passe"), emulator_url=emulator.url
    )
    with pytest.raises(NeedsReauth, match="not an app password"):
        adapter.check_credentials()
    assert exchanges(emulator) == []
    wrong = BlueskyAdapter(
        credentials(emulator, app_password="abcd-efgh-ijkl-mnop"), emulator_url=emulator.url
    )
    with pytest.raises(NeedsReauth, match="AuthenticationRequired"):  # 401 Invalid identifier or password
        wrong.check_credentials()


def test_the_main_password_is_refused_by_its_session_s_scope(emulator: EmulatorServer) -> None:
    """A main password shaped like an app password opens a com.atproto.access session: refused, unused."""
    adapter = BlueskyAdapter(credentials(emulator, app_password=MAIN_PASSWORD), emulator_url=emulator.url)
    with pytest.raises(NeedsReauth, match="main password"):
        adapter.publish(Content(text="Jamais avec le mot de passe principal"))
    assert [item["template"] for item in exchanges(emulator)] == ["/xrpc/com.atproto.server.createSession"]
    assert published(emulator) == []


def test_the_session_is_refreshed_by_the_client_and_its_tokens_are_masked(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaign.logs import redact

    monkeypatch.setattr("networks.bluesky.emulator.ACCESS_S", 600)  # inside atproto's 15-minute margin
    adapter = make_adapter(emulator, "bluesky")
    assert isinstance(adapter, BlueskyAdapter)
    adapter.publish(Content(text="Un"))
    first = adapter.client._session.refresh_jwt  # type: ignore[union-attr]
    adapter.publish(Content(text="Deux"))
    assert calls(emulator, "com.atproto.server.refreshSession") >= 1
    assert calls(emulator, "com.atproto.server.createSession") == 1  # logged in once, refreshed since
    now = adapter.client._session  # type: ignore[union-attr]
    assert now.refresh_jwt != first  # a refresh token is used once: the client holds the new one
    for token in (first, now.access_jwt, now.refresh_jwt):
        assert token not in redact(f"answer: {token}")


def test_accounts_add_asks_for_an_app_password_and_refuses_anything_else(tmp_path: Path) -> None:
    import yaml

    campaign = small_campaign(posts=0, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {"bsky-ecpat": {"network": "bluesky", "sandbox": False}}
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(campaign, allow_unicode=True), "utf-8")
    env = {"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_KEYRING": "0"}
    result = CliRunner().invoke(
        app,
        ["accounts", "add", "bsky-ecpat"],
        input="ecpat-france.bsky.social\nmon-vrai-mot-de-passe\n",
        env=env,
    )
    assert result.exit_code == 1
    assert "never the account's main password" in result.output
    assert (
        "an app password has the form xxxx-xxxx-xxxx-xxxx" in result.output
        and "nothing was stored" in result.output
    )
    assert "Traceback" not in result.output and not (tmp_path / ".clickable-credentials.json").exists()
    result = CliRunner().invoke(
        app,
        ["accounts", "add", "bsky-ecpat"],
        input="ecpat-france.bsky.social\nab12-cd34-ef56-gh78\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "ab12-cd34-ef56-gh78" not in result.output


def test_rate_limit_headers_give_the_wait(emulator: EmulatorServer) -> None:
    from .conftest import inject

    inject(
        emulator, "bluesky", "POST /xrpc/com.atproto.repo.createRecord", kind="rate_limited", reset_in_s=300
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "bluesky").publish(Content(text="Trop vite"))
    assert 280 <= caught.value.retry_after <= 301


def test_the_lexicon_models_of_every_route_are_built_off_the_request_path(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up at the first login builds every route's models (a binary body's Data is bytes) and fails on none."""
    import threading

    from networks.bluesky import emulator as bluesky_emulator

    failures: list[object] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    monkeypatch.setattr(bluesky_emulator, "_warming", [])
    bluesky_emulator.warm_models([route.template.removeprefix("/xrpc/") for route in part(emulator).routes()])
    [thread] = bluesky_emulator._warming
    thread.join(timeout=60)
    assert not thread.is_alive() and failures == []
