"""Instagram adapter: Reels through resumable containers, against the emulator over real HTTP.

Error codes as Instagram's table gives them:
developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from networks.base import AccountPaused, Content, NeedsReauth, RateLimited, Rejected, Transient, Unconfirmed
from networks.emulator.server import EmulatorServer
from networks.instagram.adapter import InstagramAdapter

from .conftest import inject, make_adapter, published, requests_to
from .test_network_contract import _video

PUBLISH = "POST /{ig-user-id}/media_publish"
CONTAINER = "POST /{ig-user-id}/media"


def reel(text: str, videos: dict[str, Path], kind: str = "good") -> Content:
    return Content(text=text, video=videos[kind])


def instagram(emulator: EmulatorServer, **options: object) -> InstagramAdapter:
    options.setdefault("clock", lambda: time.time() + emulator.emulator.clock_offset)
    adapter = make_adapter(emulator, "instagram", **options)
    assert isinstance(adapter, InstagramAdapter)
    return adapter


def error(code: int, subcode: int, message: str, **extra: object) -> dict[str, object]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_subcode": subcode,
            "fbtrace_id": "Atest",
            **extra,
        }
    }


def calls(emulator: EmulatorServer, endpoint: str) -> int:
    return sum(
        1
        for item in emulator.emulator.requests
        if item["network"] == "instagram" and f"{item['method']} {item['template']}" == endpoint
    )


def test_reel_container_flow(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    """content-publishing/resumable-uploads: container, rupload, status_code FINISHED, media_publish."""
    adapter = make_adapter(emulator, "instagram")
    result = adapter.publish(reel("Quelqu'un menace de partager tes photos ? #3018 #Clickable", videos))
    record = published(emulator)[0]
    assert (record["network"], record["id"]) == ("instagram", result.remote_id)
    container = record["media"][0]  # type: ignore[index]
    assert bytes(emulator.emulator.uploads[container].data) == videos["good"].read_bytes()
    assert requests_to(emulator, "GET", f"/{container}") >= 2  # polled until FINISHED


def test_the_post_address_is_its_permalink_not_its_numeric_id(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """IGMedia.json declares ``permalink``; instagram.com/reel/<numeric id> is a dead link (addresses
    use a shortcode): GET /{ig-media-id}?fields=permalink after publishing."""
    adapter = make_adapter(emulator, "instagram")
    result = adapter.publish(reel("Adresse", videos))
    assert result.url and re.fullmatch(r"https://www\.instagram\.com/reel/[A-Za-z0-9_-]{11}/", result.url)
    assert result.remote_id not in result.url
    found = adapter.find_published(Content(text="Adresse").fingerprint)
    assert found is not None and found.url == result.url


def test_daily_publishing_limit_from_the_quota(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(
        emulator,
        "instagram",
        "GET /{ig-user-id}/content_publishing_limit",
        status=200,
        body={"data": [{"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}]},
    )
    with pytest.raises(RateLimited):
        make_adapter(emulator, "instagram").publish(reel("Au-delà de 50", videos))
    assert published(emulator) == []


def test_code_9_2207042_waits_for_the_window_instead_of_rejecting(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """9/2207042 "You reached maximum number of posts…": a wait until the oldest of the day's posts
    leaves the 24-hour window, never a rejection of the post."""
    adapter = instagram(emulator)
    adapter.publish(reel("Premier de la journée", videos))
    emulator.emulator.clock_offset += 5 * 3600
    message = "You reached maximum number of posts that is allowed to be published by Content Publishing API."
    inject(
        emulator, "instagram", PUBLISH, status=400, body=error(9, 2207042, message, error_user_msg=message)
    )
    with pytest.raises(RateLimited) as waiting:
        adapter.publish(reel("Un de trop", videos))
    assert not isinstance(waiting.value, Rejected)
    assert 19 * 3600 - 120 <= waiting.value.retry_after <= 19 * 3600 + 60


def test_the_emulator_refuses_the_fifty_first_post_of_the_day(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    part = emulator.emulator.part("instagram")
    for index in range(50):
        media = emulator.emulator.next_id()
        emulator.emulator.objects[media] = {"network": "instagram", "kind": "media", "text": f"m{index}"}
        emulator.emulator.record("instagram", part.credentials["ig_user_id"], media, f"Reel {index}", [])
    adapter = instagram(emulator)
    handle = adapter.upload_media(reel("Le cinquante et unième", videos))
    assert handle is not None and adapter.quota_left() == 0
    with pytest.raises(RateLimited):
        adapter.client.request(
            "POST", f"{adapter.user}/media_publish", data={"creation_id": handle.remote_id}
        )


def test_an_action_blocked_as_spam_pauses_the_account_and_is_not_retried(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """4/2207051 "We restrict certain activity to protect our community": a person must look."""
    inject(
        emulator,
        "instagram",
        PUBLISH,
        status=400,
        body=error(
            4,
            2207051,
            "Application request limit reached",
            error_user_msg="We restrict certain activity to protect our community. Tell us if you think we made a mistake.",
        ),
    )
    with pytest.raises(AccountPaused) as paused:
        make_adapter(emulator, "instagram").publish(reel("Bloqué", videos))
    assert "a person must" in paused.value.advice
    assert calls(emulator, PUBLISH) == 1 and published(emulator) == []


@pytest.mark.parametrize(("code", "subcode"), [(-1, 2207001), (-2, 2207003)])
def test_codes_minus_1_and_minus_2_are_transient(
    emulator: EmulatorServer, videos: dict[str, Path], code: int, subcode: int
) -> None:
    """-1 "Instagram server error. Try again.", -2 "It takes too long to download the media"."""
    inject(emulator, "instagram", CONTAINER, status=400, body=error(code, subcode, "Try again."))
    adapter = make_adapter(emulator, "instagram")
    with pytest.raises(Transient):
        adapter.publish(reel("Réessayer", videos))
    inject(emulator, "instagram", PUBLISH, status=400, body=error(code, subcode, "Try again."))
    with pytest.raises(Unconfirmed):  # on the create call: it may have landed, reconcile first
        adapter.publish(reel("Réessayer", videos))
    assert adapter.publish(reel("Réessayer", videos)).remote_id


def test_a_container_not_ready_keeps_polling_then_publishes_once(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """9007/2207027 "The media is not ready for publishing, please wait for a moment"."""
    not_ready = error(
        9007,
        2207027,
        "Media ID is not available",
        error_user_msg="The media is not ready for publishing, please wait for a moment",
    )
    inject(emulator, "instagram", PUBLISH, status=400, body=not_ready, times=2)
    result = make_adapter(emulator, "instagram").publish(reel("Patience", videos))
    assert [item["id"] for item in published(emulator)] == [result.remote_id]
    assert calls(emulator, PUBLISH) == 3


@pytest.mark.parametrize(("seconds", "reason"), [(2.0, "lasts 2 s"), (901.0, "lasts 901 s")])
def test_an_out_of_spec_reel_ends_its_container_in_error(
    emulator: EmulatorServer, tmp_path: Path, seconds: float, reason: str
) -> None:
    """Reels last 3 s to 15 min (developers.facebook.com/docs/instagram-platform/instagram-graph-api/
    reference/ig-user/media#reels-specifications): a container whose video is outside ends in ERROR (2207026)."""
    adapter = instagram(emulator)
    content = Content(text="Hors format", video=_video(tmp_path / "reel.mp4", seconds))
    with pytest.raises(Rejected, match="2207026"):
        adapter.upload_video(content, None, None)  # the adapter's own check skipped
    with pytest.raises(Rejected, match=f"{reason}, Reels take 3 to 900 s"):
        adapter.publish(content)  # the adapter's check: nothing sent
    assert calls(emulator, CONTAINER) == 1


def test_code_100_33_on_insights_of_a_post_that_exists_is_a_permission_problem(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    """Graph answers 100/33 for an object that "does not exist, cannot be loaded due to missing
    permissions…": the post is read before it is called deleted."""
    adapter = make_adapter(emulator, "instagram")
    result = adapter.publish(reel("Mesurée", videos))
    inject(
        emulator,
        "instagram",
        "GET /{id}/insights",
        status=400,
        body=error(
            100,
            33,
            "Unsupported get request. Object does not exist, cannot be loaded due to missing permissions",
        ),
    )
    with pytest.raises(NeedsReauth, match="insights permission"):
        adapter.fetch_metrics([result.remote_id])
    [reading] = adapter.fetch_metrics([result.remote_id])  # the next time it answers
    assert not reading.missing


# --- the fault matrix ---------------------------------------------------------------------------


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "instagram", PUBLISH, status=200, body={})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "instagram").publish(reel("Texte", videos))


def test_the_address_stored_for_a_published_reel_is_its_permalink(
    tmp_path: Path, emulator: EmulatorServer, database_url: str, videos: dict[str, Path]
) -> None:
    """What the dispatcher records (Delivery.remote_url, shown by post show and the reports) is the
    permalink Instagram gives after media_publish, not instagram.com/reel/<numeric id>."""
    from sqlmodel import Session, select

    from campaign.models import Capsule
    from networks.instagram.emulator import permalink

    from .conftest import small_campaign
    from .test_dispatch import make_env

    campaign = small_campaign(posts=0, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {"ig-main": {"network": "instagram", "sandbox": True}}
    campaign["capsules"] = {"reel": {"script": "reel.yaml"}}
    campaign["posts"] = [
        {"id": "reel", "text": "Reel : parles-en.", "accounts": ["ig-main"], "capsule": "reel"}
    ]
    (tmp_path / "reel.yaml").write_text("title: reel\n", "utf-8")
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    try:
        with Session(env.database.engine) as session:
            capsule = session.exec(select(Capsule)).one()
            capsule.outputs = {  # as `capsule render` records it (render.CapsuleRender.outputs)
                "languages": ["fr"],
                "renders": {"vertical.fr": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
            }
            session.add(capsule)
            session.commit()
        assert env.dispatcher().run_due().published == 1
        [delivery] = env.deliveries()
        assert delivery.remote_id and delivery.remote_url == permalink(
            delivery.remote_id, emulator.emulator.seed
        )
        assert delivery.remote_id not in delivery.remote_url
    finally:
        env.database.dispose()
