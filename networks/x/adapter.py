"""X: tweepy.Client for posts and metrics, our own v2 chunked uploader for video, all on api.x.com.

Every call goes to the server of X's OpenAPI document, ``https://api.x.com`` (tweepy 4.17 writes
``https://api.twitter.com`` into each of its URLs: its session puts the spec's host back before the
request is signed). Every answer that is not a success is classified in ``networks/x/errors.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Unpack

import requests
import tweepy

from campaign.i18n import _
from networks.base import (
    Adapter,
    AdapterOptions,
    Content,
    MediaHandle,
    MetricReading,
    NetworkError,
    Published,
    Rejected,
    Transient,
    Unconfirmed,
    connection_failure,
    fingerprint,
)
from networks.credentials import Credentials
from networks.media import VideoInfo
from networks.spec import normalise
from networks.transport import prepare_session
from networks.x import errors
from networks.x.spec import SPEC

API = "https://api.x.com"  # the server of X's OpenAPI document
TWEEPY_API = "https://api.twitter.com"  # what tweepy.Client writes
CHUNK_BYTES = 1024 * 1024
METRIC_BATCH = 100  # GET /2/tweets takes at most 100 ids
USER_POSTS_MIN, USER_POSTS_MAX = 5, 100  # GET /2/users/{id}/tweets: max_results from 5 to 100
PUBLIC_FIELDS = ["public_metrics", "created_at"]
PRIVATE_FIELDS = ["non_public_metrics"]  # kept by X for 30 days after a post is made
PRIVATE_METRICS_S = 30 * 86_400 - 3_600  # an hour's margin for the clocks of X and this machine
TWITTER_EPOCH_MS = 1288834974657


class XSession(requests.Session):
    """A requests session that sends tweepy's calls to api.x.com (before they are signed)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(TWEEPY_API + "/"):
            url = API + url[len(TWEEPY_API) :]
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def created_at(tweet_id: str) -> float | None:
    """When an X post was made (epoch seconds), read from its id (X ids are snowflakes)."""
    try:
        return ((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000
    except ValueError:
        return None


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
        self.client.session = XSession()
        prepare_session(self.client.session, emulator_url=self.emulator_url, timeout=self.timeout)
        self.auth = tweepy.OAuth1UserHandler(
            credentials.get("consumer_key"),
            credentials.get("consumer_secret"),
            credentials.get("access_token"),
            credentials.get("access_token_secret"),
        ).apply_auth()

    # -- answers -----------------------------------------------------------------------------------

    def _classified(self, error: Exception, *, creating: bool) -> Exception:
        """A tweepy or requests failure as what the caller can act on (networks/x/errors.py)."""
        if isinstance(error, NetworkError):
            return error
        if isinstance(error, requests.RequestException) and getattr(error, "response", None) is None:
            return connection_failure("x", error, creating=creating, what="X")
        if isinstance(error, tweepy.HTTPException):
            return self._answer(error.response, creating=creating)
        return error

    def _answer(self, response: requests.Response, *, creating: bool) -> NetworkError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        return errors.classify(
            response.status_code,
            response.headers,
            body,
            account=self.credentials.account,
            creating=creating,
            now=self.clock(),
        )

    # -- video upload (retry-safe) ---------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.session.request(method, url, auth=self.auth, **kwargs)
        except requests.RequestException as error:
            raise self._classified(error, creating=False) from None
        if response.status_code >= 400:
            raise self._answer(response, creating=False)
        try:
            body = response.json()
        except ValueError:
            raise Transient("x", _("answer {status_code} is not JSON").format(status_code=response.status_code)) from None
        return dict(body.get("data") or {})

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        """X's v2 chunked upload: initialize → append (multipart) → finalize → status
        (docs.x.com/x-api/media/quickstart/media-upload-chunked)."""
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
                raise Transient("x", _("media initialize answered without an id"))
            handle = MediaHandle("x", str(data["id"]), 0, size)
        for index, chunk in _chunks(path, self.chunk_bytes, start=handle.uploaded_bytes):
            self._call(
                "POST",
                f"{base}/{handle.remote_id}/append",
                data={"segment_index": str(index)},
                files={"media": ("blob", chunk, "application/octet-stream")},
            )
            handle.uploaded_bytes += len(chunk)
        # the document gives finalize no body; X answers 400 "Request body must be a JSON object"
        # without one (trypost PR #202): an empty object satisfies both
        info = self._call("POST", f"{base}/{handle.remote_id}/finalize", json={}).get("processing_info")
        deadline = self.clock() + 300
        while info and info.get("state") in ("pending", "in_progress"):
            if self.clock() > deadline:
                raise Transient("x", _("video processing did not finish within 300 s"))
            self.sleep(float(info.get("check_after_secs", 1)))
            info = self._call("GET", base, params={"command": "STATUS", "media_id": handle.remote_id}).get(
                "processing_info"
            )
        if info and info.get("state") == "failed":
            error = info.get("error") or {}
            raise Rejected("x", _("video processing failed: {message}").format(message=error.get('message') or _('unknown reason')))
        return handle

    # -- create (once) ---------------------------------------------------------------------------

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        try:
            response = self.client.create_tweet(
                text=content.text, media_ids=[media.remote_id] if media else None, user_auth=True
            )
        except Exception as error:
            raise self._classified(error, creating=True) from None
        data = response.data or {}
        if not data.get("id"):
            raise Unconfirmed("x", _("create answered without a post id: reconcile before retrying"))
        return Published("x", str(data["id"]), f"https://x.com/i/web/status/{data['id']}")

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        return published  # X processes the video before the post exists

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        try:
            me = self.client.get_me(user_auth=True).data
            response = self.client.get_users_tweets(
                me.id,
                max_results=max(USER_POSTS_MIN, min(limit, USER_POSTS_MAX)),
                tweet_fields=["entities"],
                user_auth=True,
            )
        except Exception as error:
            raise self._classified(error, creating=False) from None
        for tweet in response.data or []:
            if fingerprint(_expand_urls(tweet.text, tweet.entities)) == content_fingerprint:
                return Published("x", str(tweet.id), f"https://x.com/i/web/status/{tweet.id}")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        """Public metrics of every post; non-public ones (link clicks, views) only for posts X still
        keeps them for (30 days: asking for an older post's is an error for that post)."""
        now = self.clock()
        recent: list[str] = []
        older: list[str] = []
        for remote_id in remote_ids:
            made = created_at(remote_id)
            (recent if made is None or now - made <= PRIVATE_METRICS_S else older).append(remote_id)
        readings: list[MetricReading] = []
        for ids, fields in ((recent, PUBLIC_FIELDS + PRIVATE_FIELDS), (older, PUBLIC_FIELDS)):
            for start in range(0, len(ids), METRIC_BATCH):
                readings.extend(self._metrics(ids[start : start + METRIC_BATCH], fields))
        return readings

    def _metrics(self, batch: list[str], fields: list[str]) -> list[MetricReading]:
        try:
            response = self.client.get_tweets(batch, tweet_fields=fields, user_auth=True)
        except Exception as error:
            raise self._classified(error, creating=False) from None
        readings = []
        answered = set()
        for tweet in response.data or []:
            raw: dict[str, Any] = {}
            for group in ("public_metrics", "non_public_metrics"):
                for name, value in (getattr(tweet, group, None) or {}).items():
                    raw[f"{group}.{name}"] = value
            answered.add(str(tweet.id))
            readings.append(MetricReading(str(tweet.id), normalise(self.metric_names["post"], raw), raw))
        for problem in response.errors or []:
            if errors.is_missing(problem) and str(problem["resource_id"]) not in answered:
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
            raise self._classified(error, creating=False) from None
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
