"""X: tweepy.Client for posts and metrics, our own v2 chunked uploader for video."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Unpack

import requests
import tweepy

from networks.base import (
    DEFAULT_BACKOFF_S,
    Adapter,
    AdapterOptions,
    Content,
    MediaHandle,
    MetricReading,
    NeedsReauth,
    Published,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
    fingerprint,
)
from networks.credentials import Credentials
from networks.media import VideoInfo
from networks.spec import normalise
from networks.transport import prepare_session
from networks.x.spec import SPEC

API = "https://api.twitter.com"  # the host tweepy.Client uses; api.x.com answers the same paths
CHUNK_BYTES = 1024 * 1024
METRIC_BATCH = 100  # GET /2/tweets takes at most 100 ids
TWEET_FIELDS = ["public_metrics", "non_public_metrics", "created_at", "entities"]


def retry_after(headers: Any, now: float) -> float:
    """Seconds until every exhausted X limit (15-min window, 24-hour caps) has reset."""
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        remaining, reset = headers.get(f"{prefix}-remaining"), headers.get(f"{prefix}-reset")
        if reset is not None and (remaining is None or str(remaining) == "0" or prefix == "x-rate-limit"):
            try:
                resets.append(float(reset) - now)
            except ValueError:
                continue
    return max(1.0, max(resets)) if resets else DEFAULT_BACKOFF_S


def classify(error: Exception, *, creating: bool, now: float) -> Exception:
    """Turn a tweepy or requests failure into what the caller can act on (structured codes only)."""
    network = "x"
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        if creating:
            return Unconfirmed(
                network, f"no answer to the create call ({type(error).__name__}): reconcile before retrying"
            )
        return Transient(network, f"{type(error).__name__} while talking to X")
    if isinstance(error, tweepy.TooManyRequests):
        return RateLimited(
            network, "rate limited (429)", retry_after=retry_after(error.response.headers, now)
        )
    if isinstance(error, tweepy.Unauthorized):
        return NeedsReauth(network, "credentials refused (401): run `clickable accounts add` again")
    if isinstance(error, tweepy.TwitterServerError):
        if creating:
            return Unconfirmed(
                network, f"server error {error.response.status_code} on create: reconcile before retrying"
            )
        return Transient(network, f"server error {error.response.status_code}")
    if isinstance(error, tweepy.HTTPException):
        detail = (
            "; ".join(str(message) for message in error.api_messages) or f"HTTP {error.response.status_code}"
        )
        duplicate = error.response.status_code == 403 and "duplicate" in detail.lower()
        return Rejected(network, detail, duplicate=duplicate)
    return error


class XAdapter(Adapter):
    spec = SPEC

    def __init__(
        self, credentials: Credentials, *, chunk_bytes: int = CHUNK_BYTES, **options: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, **options)
        self.chunk_bytes = chunk_bytes
        self.client = tweepy.Client(
            consumer_key=credentials.get("consumer_key"),
            consumer_secret=credentials.get("consumer_secret"),
            access_token=credentials.get("access_token"),
            access_token_secret=credentials.get("access_token_secret"),
            wait_on_rate_limit=False,
        )
        prepare_session(self.client.session, emulator_url=self.emulator_url, timeout=self.timeout)
        self.auth = tweepy.OAuth1UserHandler(
            credentials.get("consumer_key"),
            credentials.get("consumer_secret"),
            credentials.get("access_token"),
            credentials.get("access_token_secret"),
        ).apply_auth()

    # -- video upload (retry-safe) ---------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.session.request(method, url, auth=self.auth, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as error:
            raise classify(error, creating=False, now=self.clock()) from None
        if response.status_code == 429:
            raise RateLimited(
                "x", "rate limited (429)", retry_after=retry_after(response.headers, self.clock())
            )
        if response.status_code == 401:
            raise NeedsReauth("x", "credentials refused (401): run `clickable accounts add` again")
        if response.status_code >= 500:
            raise Transient("x", f"server error {response.status_code} during upload")
        try:
            body = response.json()
        except ValueError:
            raise Transient("x", f"answer {response.status_code} is not JSON") from None
        if response.status_code >= 400:
            raise Rejected("x", str(body.get("detail") or body.get("title") or response.status_code))
        return dict(body.get("data") or {})

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        assert content.video is not None
        path = Path(content.video)
        size = path.stat().st_size
        base = f"{API}/2/media/upload"
        if handle is None or handle.uploaded_bytes == 0:
            data = self._call(
                "POST",
                f"{base}/initialize",
                json={"media_type": "video/mp4", "total_bytes": size, "media_category": "tweet_video"},
            )
            if "id" not in data:
                raise Transient("x", "media initialize answered without an id")
            handle = MediaHandle("x", str(data["id"]), 0, size)
        for index, chunk in _chunks(path, self.chunk_bytes, start=handle.uploaded_bytes):
            self._call(
                "POST",
                f"{base}/{handle.remote_id}/append",
                data={"segment_index": str(index)},
                files={"media": ("blob", chunk, "application/octet-stream")},
            )
            handle.uploaded_bytes += len(chunk)
        info = self._call("POST", f"{base}/{handle.remote_id}/finalize").get("processing_info")
        deadline = self.clock() + 300
        while info and info.get("state") in ("pending", "in_progress"):
            if self.clock() > deadline:
                raise Transient("x", "video processing did not finish within 300 s")
            self.sleep(float(info.get("check_after_secs", 1)))
            info = self._call("GET", base, params={"command": "STATUS", "media_id": handle.remote_id}).get(
                "processing_info"
            )
        if info and info.get("state") == "failed":
            error = info.get("error") or {}
            raise Rejected("x", f"video processing failed: {error.get('message', 'unknown reason')}")
        return handle

    # -- create (once) ---------------------------------------------------------------------------

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        try:
            response = self.client.create_tweet(
                text=content.text, media_ids=[media.remote_id] if media else None, user_auth=True
            )
        except Exception as error:
            raise classify(error, creating=True, now=self.clock()) from None
        data = response.data or {}
        if not data.get("id"):
            raise Unconfirmed("x", "create answered without a post id: reconcile before retrying")
        return Published("x", str(data["id"]), f"https://x.com/i/web/status/{data['id']}")

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        return published  # X processes the video before the post exists

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        try:
            me = self.client.get_me(user_auth=True).data
            response = self.client.get_users_tweets(
                me.id, max_results=min(limit, 100), tweet_fields=["entities"], user_auth=True
            )
        except Exception as error:
            raise classify(error, creating=False, now=self.clock()) from None
        for tweet in response.data or []:
            if fingerprint(_expand_urls(tweet.text, tweet.entities)) == content_fingerprint:
                return Published("x", str(tweet.id), f"https://x.com/i/web/status/{tweet.id}")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings: list[MetricReading] = []
        for start in range(0, len(remote_ids), METRIC_BATCH):
            batch = remote_ids[start : start + METRIC_BATCH]
            try:
                response = self.client.get_tweets(batch, tweet_fields=TWEET_FIELDS, user_auth=True)
            except Exception as error:
                raise classify(error, creating=False, now=self.clock()) from None
            for tweet in response.data or []:
                raw: dict[str, Any] = {}
                for group in ("public_metrics", "non_public_metrics"):
                    for name, value in (getattr(tweet, group, None) or {}).items():
                        raw[f"{group}.{name}"] = value
                readings.append(MetricReading(str(tweet.id), normalise(self.metric_names["post"], raw), raw))
            for problem in response.errors or []:
                if problem.get("resource_id"):
                    readings.append(
                        MetricReading(
                            str(problem["resource_id"]), {}, {"error": problem.get("detail")}, missing=True
                        )
                    )
        return readings

    def check_credentials(self) -> str:
        try:
            me = self.client.get_me(user_auth=True).data
        except Exception as error:
            raise classify(error, creating=False, now=self.clock()) from None
        return f"@{me.username}"


def _chunks(path: Path, size: int, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(segment index, bytes) from ``start``, streamed: the video is never read whole."""
    with path.open("rb") as handle:
        handle.seek(start)
        index = math.ceil(start / size)
        while chunk := handle.read(size):
            yield index, chunk
            index += 1


def _expand_urls(text: str, entities: dict[str, Any] | None) -> str:
    """X shortens links to t.co in the text it returns; put the original addresses back."""
    for url in (entities or {}).get("urls", []):
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    return text
