"""Shared fixtures: a temporary workspace and database per test, a CLI runner bound to them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from campaign.example import write_example
from cli import app
from networks.base import Adapter
from networks.credentials import Credentials
from networks.emulator.server import EmulatorServer, start

# every exchange of every emulator the session starts, for the 100 % validation test (tests/census.py)
from .census import exchanges, pytest_configure, pytest_runtest_protocol, pytest_unconfigure  # noqa: F401

POSTGRES_URL = os.environ.get("CLICKABLE_TEST_DATABASE_URL")


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    backends.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="set CLICKABLE_TEST_DATABASE_URL to run on PostgreSQL"
            ),
        )
    )
    return backends


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace holding the French example campaign, dated from today."""
    folder = tmp_path / "campaign"
    write_example(folder, today=date.today())
    return folder


@dataclass
class Cli:
    workspace: Path
    database_url: str
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        env = {"CLICKABLE_HOME": str(self.workspace), "CLICKABLE_DATABASE_URL": self.database_url}
        return self.runner.invoke(app, list(args), env=env, input=input)

    def edit(self, change: str, replacement: str) -> None:
        """Replace text in the workspace's campaign.yaml (exactly once)."""
        path = self.workspace / "campaign.yaml"
        content = path.read_text("utf-8")
        assert content.count(change) >= 1, change
        path.write_text(content.replace(change, replacement, 1), "utf-8")

    def campaign_data(self) -> dict[str, object]:
        return yaml.safe_load((self.workspace / "campaign.yaml").read_text("utf-8"))  # type: ignore[no-any-return]


@pytest.fixture
def cli(workspace: Path, database_url: str) -> Cli:
    return Cli(workspace, database_url, CliRunner())


# --- networks: the emulator and the real clients pointed at it -----------------------------------


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A fresh emulator on a free loopback port, for one test."""
    server = start(seed=2026)
    yield server
    server.stop()


def sandbox_credentials(server: EmulatorServer, network: str, account: str = "sandbox") -> Credentials:
    from pydantic import SecretStr

    values = server.emulator.credentials()[network]
    return Credentials(account, network, {key: SecretStr(value) for key, value in values.items()}, "emulator")


def no_sleep(_seconds: float) -> None:
    """Polling loops in tests do not wait: the emulator advances on each poll."""


def make_adapter(server: EmulatorServer, network: str, **options: object) -> Adapter:
    from networks.registry import registry

    options.setdefault("sleep", no_sleep)
    options.setdefault("timeout", 2.0)
    adapter = registry().adapter_class(network)
    return adapter(sandbox_credentials(server, network), emulator_url=server.url, **options)


def inject(server: EmulatorServer, network: str, endpoint: str, **fault: object) -> None:
    """Add a fault through the emulator's admin API, over HTTP like any client."""
    import requests

    response = requests.post(
        f"{server.url}/_emulator/faults", json={"network": network, "endpoint": endpoint, **fault}, timeout=5
    )
    assert response.status_code == 201, response.text


def published(server: EmulatorServer) -> list[dict[str, object]]:
    import requests

    return list(requests.get(f"{server.url}/_emulator/published", timeout=5).json())


def requests_to(server: EmulatorServer, method: str, path_fragment: str) -> int:
    return sum(
        1 for item in server.emulator.requests if item["method"] == method and path_fragment in item["path"]
    )


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small valid 9:16 MP4 at Reels' smallest size (several upload chunks of 64 KiB), and a file that is not a video."""
    from capsules.media import run_ffmpeg

    folder = tmp_path_factory.mktemp("videos")
    good = folder / "reel.mp4"
    made = run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=540x960:rate=30:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "600k",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(good),
        ]
    )
    assert made.returncode == 0, made.stderr
    broken = folder / "broken.mp4"
    broken.write_bytes(b"this is not a video " * 5000)
    (folder / "reel.srt").write_text("1\n00:00:00,500 --> 00:00:02,000\nTu peux en parler.\n", "utf-8")
    return {"good": good, "broken": broken, "captions": folder / "reel.srt"}


@pytest.fixture(scope="session")
def signers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Signer videos for the sign-language inset: a good one (the drawn signer, 12 s, 30 fps,
    portrait) and wrong ones (too short, 25 fps, landscape, not a video)."""
    from capsules.media import run_ffmpeg
    from capsules.signer_sample import write_signer_sample

    folder = tmp_path_factory.mktemp("signers")
    clips = {"good": write_signer_sample(folder / "signer.mp4", 12.0, size=(180, 320))}
    for name, source in {
        "short": "color=c=0x00b140:size=180x320:rate=30:duration=2",
        "fps25": "color=c=0x00b140:size=180x320:rate=25:duration=12",
        "landscape": "color=c=0x00b140:size=320x180:rate=30:duration=12",
    }.items():
        clips[name] = folder / f"{name}.mp4"
        made = run_ffmpeg(["-y", "-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", str(clips[name])])
        assert made.returncode == 0, made.stderr
    clips["corrupt"] = folder / "corrupt.mp4"
    clips["corrupt"].write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all" * 100)
    return clips


# --- a small campaign for the dispatcher and daemon tests ----------------------------------------

TWO_TERRITORIES = {"fr": ("France", "Europe/Paris"), "nc": ("NC", "Pacific/Noumea")}


def small_campaign(
    posts: int = 2, territories: dict[str, tuple[str, str]] = TWO_TERRITORIES
) -> dict[str, object]:
    """``posts`` posts on X and Facebook in every territory (key: (name, zone)), no approval."""
    return {
        "campaign": {"id": "dispatch-test", "name": "Dispatch", "language": "fr"},
        "approval": {"required": False},
        "territories": {key: {"name": name, "timezone": zone} for key, (name, zone) in territories.items()},
        "accounts": {
            "x-main": {"network": "x", "sandbox": True},
            "fb-main": {"network": "facebook", "sandbox": True},
        },
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": [
            {
                "id": f"p{index:03d}",
                "text": f"Message {index} : parles-en. {{link}}",
                "accounts": ["x-main", "fb-main"],
            }
            for index in range(posts)
        ],
    }
