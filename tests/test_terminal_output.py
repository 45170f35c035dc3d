"""What the CLI prints is shown, never acted on: escape sequences, bidi overrides and markup are escaped.

Names and texts reach the terminal from the database (loaded by an earlier version, written by
another tool), from the campaign file and from the command line. The hostile values are written
straight into the database here, as check now refuses most of them in the file.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from campaign.console import SafeConsole
from campaign.db import Database
from campaign.models import Approval, Campaign, Delivery, DeliveryEvent, Post, Variant

from .conftest import Cli

TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
CLEAR = "\x1b[2J"  # clears the screen
CSI = "\x9b31m"  # the one-character C1 form of ESC [
RLO = "\u202e"
MARKUP = "[link=https://evil.example]clic[/link]"
HOSTILE = f"A{TITLE}B{CLEAR}C{CSI}D{RLO}E {MARKUP}"
# what must never reach the terminal as it is
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_shown_not_acted_on(text: str) -> None:
    assert RAW.search(text) is None, repr(text)
    # (Rich drops a bell from its Text objects before anything is printed: gone is fine too)
    assert "\\x1b]0;pwned" in text and "\\x1b[2J" in text and "\\x9b31m" in text and "\\u202e" in text
    assert MARKUP in text  # markup printed as written, not turned into a hyperlink


@pytest.fixture
def hostile(cli: Cli, database_url: str) -> Cli:
    """A loaded campaign whose names and texts in the database carry escape sequences."""
    assert cli("campaign", "load").exit_code == 0
    assert cli("post", "approve", "p01-lancement", "--by", "Alex Martin").exit_code == 0
    assert cli("schedule", "plan").exit_code == 0
    database = Database(database_url)
    try:
        with database.session() as session:
            post = session.exec(select(Post).where(Post.key == "p01-lancement")).one()
            post.author = HOSTILE
            session.add(post)
            for variant in session.exec(select(Variant).where(Variant.post_id == post.id)):
                variant.text = HOSTILE
                session.add(variant)
            for approval in session.exec(select(Approval).where(Approval.post_id == post.id)):
                approval.approved_by = HOSTILE
                session.add(approval)
            campaign = session.exec(select(Campaign)).one()
            campaign.name = HOSTILE
            session.add(campaign)
            delivery = session.exec(select(Delivery).order_by(Delivery.id)).first()  # type: ignore[arg-type]
            assert delivery is not None
            session.add(
                DeliveryEvent(
                    delivery_id=delivery.id,  # type: ignore[arg-type]
                    at=datetime.now(UTC),
                    from_state="queued",
                    to_state="failed",
                    reason=HOSTILE,
                )
            )
    finally:
        database.dispose()
    return cli


def first_delivery(cli: Cli) -> str:
    rows = json.loads(cli("schedule", "list", "--json").stdout)
    return str(min(row["id"] for row in rows))


@pytest.mark.parametrize(
    "command",
    [
        ["post", "show", "p01-lancement"],
        ["post", "list"],
        ["campaign", "show"],
        ["delivery", "history", "FIRST"],
    ],
    ids=["post-show", "post-list", "campaign-show", "delivery-history"],
)
def test_names_and_texts_from_the_database_are_escaped(
    hostile: Cli, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # table cells on one line, to find them whole
    args = [first_delivery(hostile) if part == "FIRST" else part for part in command]
    result = hostile(*args)
    assert result.exit_code == 0, result.output
    assert_shown_not_acted_on(result.stdout)


@pytest.mark.parametrize(
    "command", [["post", "show", "p01-lancement", "--json"], ["post", "list", "--json"], ["delivery", "history", "FIRST", "--json"]]
)
def test_json_output_escapes_them_and_keeps_the_data(hostile: Cli, command: list[str]) -> None:
    args = [first_delivery(hostile) if part == "FIRST" else part for part in command]
    result = hostile(*args)
    assert result.exit_code == 0, result.output
    assert RAW.search(result.stdout) is None, repr(result.stdout)
    assert HOSTILE in strings(json.loads(result.stdout))  # the same data once decoded


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def test_command_line_values_in_errors_are_escaped(cli: Cli) -> None:
    result = cli("schedule", "list", "--state", HOSTILE)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown state")
    assert_shown_not_acted_on(result.stderr)
    assert cli("campaign", "load").exit_code == 0
    result = cli("post", "show", HOSTILE)
    assert result.exit_code == 1
    assert_shown_not_acted_on(result.stderr)


def test_campaign_file_values_in_check_problems_are_escaped(cli: Cli) -> None:
    escaped = HOSTILE.replace("\x1b", "\\e").replace("\x07", "\\a").replace("\x9b", "\\x9b")
    cli.edit("accounts: [x-ecpat, facebook-ecpat]", f'accounts: [x-ecpat, "{escaped}"]')
    result = cli("campaign", "check")
    assert result.exit_code == 1
    assert "unknown account" in result.stdout
    assert_shown_not_acted_on(result.stdout)


def test_the_console_keeps_newlines_emoji_and_its_own_styles() -> None:
    from io import StringIO

    from rich.text import Text

    stream = StringIO()
    console = SafeConsole(file=stream, force_terminal=True, color_system="standard", width=80)
    console.print(Text("gras", style="bold"), "ligne 1\nligne 2 👨\u200d👩\u200d👧 :smile:")
    shown = stream.getvalue()
    assert "\x1b[1mgras\x1b[0m" in shown  # Rich's own escape codes are kept
    assert "ligne 1\nligne 2 👨\u200d👩\u200d👧 :smile:" in shown  # no emoji code replaced


def test_no_secret_known_to_the_process_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever prints it (an old history row, an unexpected error's text), and even when a table
    cuts it across lines."""
    from rich.table import Table

    from campaign.context import print_json
    from campaign.logs import SECRETS

    token = "sbx-print-" + "7f3a9c2e4b6d8f10a2c4e6b8d0f2a4c6"
    SECRETS.add(token)
    console = SafeConsole(width=30, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    table = Table("reason")
    table.add_row(f"rejected: Malformed access token {token} (code 190)")
    console.print(table)
    console.print(f"unexpected error: KeyError: {token[:18]}")
    shown = console.export_text()
    console.file.close()
    assert "**********" in shown
    for size in (10, 12):
        assert not any(token[start : start + size] in shown for start in range(len(token) - size + 1)), shown
    print_json({"reason": f"token {token}"})
    assert token[:12] not in capsys.readouterr().out
