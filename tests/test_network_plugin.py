"""A network added by a separate package: one folder and one entry point, no file of clickable changed.

The package is written to a temporary folder with its distribution metadata
(``clickable_pigeon-0.1.dist-info/entry_points.txt``) and put on ``sys.path``: importlib.metadata finds
its entry point in the group ``clickable.networks`` exactly as it would for an installed wheel. A
campaign with a sandbox account on it is then checked, loaded and published through the CLI, the
dispatcher and the package's own adapter, to the package's own emulator part.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from campaign.rules import one_of
from cli import app
from networks.emulator.server import EmulatorServer, start
from networks.registry import Registry, registry

from .conftest import published

ROOT = Path(__file__).resolve().parent.parent

PACKAGE = {
    "__init__.py": '''
        """Pigeon, a made-up network: a text post is one JSON call."""
    ''',
    "spec.py": '''
        """Pigeon as clickable needs to know it."""

        from __future__ import annotations

        from networks.spec import (
            Choice,
            CredentialField,
            MediaRules,
            MetricRules,
            NetworkSpec,
            TextRules,
            VideoRules,
        )


        def _adapter():
            from clickable_pigeon.adapter import PigeonAdapter

            return PigeonAdapter


        def _emulator():
            from clickable_pigeon.emulator import PigeonPart

            return PigeonPart


        SPEC = NetworkSpec(
            name="pigeon",
            label="Pigeon",
            credentials=(CredentialField("token"),),
            hosts=("api.pigeon.example",),
            text=TextRules(limit=500),
            media=MediaRules(
                formats=("vertical",),
                videos=(VideoRules("video", min_seconds=1, max_seconds=60, max_bytes=10_000_000),),
            ),
            caps={"pigeon": 10},
            metrics=MetricRules(names={"post": {"seen": "views"}}),
            choices=(Choice("mood", options=("calm", "loud")),),  # every post must say which
            adapter=_adapter,
            emulator=_emulator,
        )
    ''',
    "adapter.py": '''
        """Pigeon's adapter: requests, through clickable's transport (the emulator for a sandbox)."""

        from __future__ import annotations

        import requests

        from clickable_pigeon.spec import SPEC
        from networks.base import Adapter, MetricReading, NeedsReauth, Published, Rejected, Unconfirmed, fingerprint
        from networks.spec import normalise
        from networks.transport import prepare_session

        API = "https://api.pigeon.example/v1"


        class PigeonAdapter(Adapter):
            spec = SPEC

            def __init__(self, credentials, **options):
                super().__init__(credentials, **options)
                self.session = prepare_session(requests.Session(), emulator_url=self.emulator_url, timeout=self.timeout)
                self.session.headers["Authorization"] = "Bearer " + credentials.get("token")

            def _call(self, method, path, *, creating=False, **kwargs):
                try:
                    response = self.session.request(method, API + path, **kwargs)
                except requests.RequestException:
                    if creating:
                        raise Unconfirmed(self.network, "no answer to the create call") from None
                    raise
                if response.status_code == 401:
                    raise NeedsReauth(self.network, "token refused")
                if response.status_code >= 400:
                    raise Rejected(self.network, response.text)
                return response.json()

            def upload_video(self, content, video, handle):
                raise Rejected(self.network, "Pigeon carries no video")

            def create(self, content, media):
                body = self._call(
                    "POST", "/posts", json={"text": content.text, "mood": content.choices["mood"]}, creating=True
                )
                return Published(self.network, body["id"], f"https://pigeon.example/p/{body['id']}")

            def poll(self, published, *, deadline_s=120.0):
                return published

            def find_published(self, content_fingerprint, *, limit=100):
                for post in self._call("GET", "/posts")["posts"]:
                    if fingerprint(post["text"]) == content_fingerprint:
                        return Published(self.network, post["id"], f"https://pigeon.example/p/{post['id']}")
                return None

            def fetch_metrics(self, remote_ids):
                readings = []
                for remote_id in remote_ids:
                    raw = self._call("GET", f"/posts/{remote_id}")["counts"]
                    readings.append(MetricReading(remote_id, normalise(self.metric_names["post"], raw), raw))
                return readings

            def check_credentials(self):
                return self._call("GET", "/me")["name"]
    ''',
    "emulator.py": '''
        """Pigeon's part of clickable's emulator."""

        from __future__ import annotations

        from networks.emulator.auth import header_token
        from networks.emulator.messages import Reply
        from networks.emulator.part import EmulatorPart, Route


        class PigeonPart(EmulatorPart):
            @classmethod
            def sandbox_credentials(cls, seed):
                return {"token": f"pigeon-sandbox-{seed}-token"}

            def routes(self):
                return [
                    Route("POST", r"/v1/posts", "/v1/posts", self.create, creates=True),
                    Route("GET", r"/v1/posts", "/v1/posts", self.list),
                    Route("GET", r"/v1/posts/(?P<post>\\d+)", "/v1/posts/{id}", self.read),
                    Route("GET", r"/v1/me", "/v1/me", self.me),
                ]

            def denied(self, request):
                if header_token(request, ("Bearer",)) != self.credentials["token"]:
                    return Reply(401, {"error": "bad token"})
                return None

            def create(self, request):
                if (denied := self.denied(request)) is not None:
                    return denied
                text, mood = request.json().get("text", ""), request.json().get("mood")
                if mood not in ("calm", "loud"):
                    return Reply(400, {"error": "mood is required"})
                post_id = self.core.next_id()
                self.core.objects[post_id] = {"network": self.name, "text": text, "mood": mood}
                self.core.record(self.name, "pigeon-sandbox", post_id, text, [])
                return Reply(201, {"id": post_id})

            def list(self, request):
                posts = [{"id": item["id"], "text": item["text"]} for item in self.core.published_on(self.name)]
                return self.denied(request) or Reply(200, {"posts": posts})

            def read(self, request, post):
                return self.denied(request) or Reply(200, {"counts": {"seen": self.core.engagement(post)["views"]}})

            def me(self, request):
                return self.denied(request) or Reply(200, {"name": "Pigeon sandbox"})
    ''',
}
METADATA = "Metadata-Version: 2.1\nName: clickable-pigeon\nVersion: 0.1\n"
ENTRY_POINTS = "[clickable.networks]\npigeon = clickable_pigeon.spec:SPEC\n"


def _tree_state() -> str | None:
    """What git says of the checkout (None outside a git checkout): the test must leave it as it was."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return "\n".join(line for line in done.stdout.splitlines() if "__pycache__" not in line)


@pytest.fixture
def pigeon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The package on sys.path, with its entry point; the process's registry sees it, then forgets it."""
    site = tmp_path / "site"
    package = site / "clickable_pigeon"
    package.mkdir(parents=True)
    for name, source in PACKAGE.items():
        (package / name).write_text(textwrap.dedent(source).lstrip(), "utf-8")
    info = site / "clickable_pigeon-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(METADATA, "utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, "utf-8")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    registry.cache_clear()
    yield site
    for module in [name for name in sys.modules if name.startswith("clickable_pigeon")]:
        del sys.modules[module]
    registry.cache_clear()


@pytest.fixture
def pigeon_emulator(pigeon: Path) -> Iterator[EmulatorServer]:
    server = start(networks=registry())
    yield server
    server.stop()


def campaign() -> dict[str, object]:
    return {
        "campaign": {"id": "pigeon-test", "name": "Pigeon", "language": "fr"},
        "approval": {"required": False},
        "territories": {"fr": {"name": "France", "timezone": "Europe/Paris"}},
        "accounts": {"pigeon-main": {"network": "pigeon", "sandbox": True}},
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": [
            {
                "id": "p1",
                "text": "Tu peux en parler : {link}",
                "accounts": ["pigeon-main"],
                "choices": {"pigeon": {"mood": "calm"}},
            }
        ],
    }


def test_the_registry_finds_a_network_from_its_entry_point(pigeon: Path) -> None:
    networks = Registry()
    assert list(networks) == sorted({*registry(), "pigeon"})  # the built-in ones, and the new one
    assert networks["pigeon"].label == "Pigeon"
    assert "clickable_pigeon.adapter" not in sys.modules  # the spec only: the adapter is imported when used
    assert networks.adapter_class("pigeon").__module__ == "clickable_pigeon.adapter"


def test_a_text_post_goes_out_on_a_network_from_a_separate_package(
    tmp_path: Path, pigeon_emulator: EmulatorServer
) -> None:
    before = _tree_state()
    workspace = tmp_path / "campaign"
    workspace.mkdir()
    (workspace / "campaign.yaml").write_text(yaml.safe_dump(campaign(), allow_unicode=True), "utf-8")
    env = {
        "CLICKABLE_HOME": str(workspace),
        "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'pigeon.db'}",
        "CLICKABLE_EMULATOR_URL": pigeon_emulator.url,
        "CLICKABLE_KEYRING": "0",
    }
    runner = CliRunner()
    for command in (["campaign", "check"], ["campaign", "load"], ["accounts", "check", "pigeon-main"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, (command, result.output)
    result = runner.invoke(app, ["post", "publish", "p1", "--now"], env=env)
    assert result.exit_code == 0, result.output
    assert "published 1" in result.stdout
    [record] = published(pigeon_emulator)
    assert (
        pigeon_emulator.emulator.objects[str(record["id"])]["mood"] == "calm"
    )  # the post's choice went along
    assert record["network"] == "pigeon" and str(record["text"]).startswith(
        "Tu peux en parler : https://s.example.org/r/"
    )
    listing = runner.invoke(app, ["schedule", "list", "--json"], env=env)
    assert '"state": "published"' in listing.stdout
    assert _tree_state() == before  # nothing of clickable was written to


def test_a_file_naming_an_unregistered_network_is_refused_with_the_registered_ones(tmp_path: Path) -> None:
    registry.cache_clear()
    workspace = tmp_path / "campaign"
    workspace.mkdir()
    (workspace / "campaign.yaml").write_text(yaml.safe_dump(campaign(), allow_unicode=True), "utf-8")
    result = CliRunner().invoke(app, ["campaign", "check"], env={"CLICKABLE_HOME": str(workspace)})
    assert result.exit_code == 1
    expected = one_of(sorted(registry()), quote=True)  # the registered networks, whichever they are
    assert f"accounts.pigeon-main.network is 'pigeon', expected {expected}" in result.stdout
