"""Random credentials files never crash: a ClickableError or credentials, never a traceback, nothing written."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from campaign.errors import ClickableError
from cli import app
from networks.credentials import CredentialStore
from networks.registry import registry

from .conftest import Cli

ACCOUNTS = {"x-ecpat": "x", "facebook-ecpat": "facebook", "instagram-ecpat": "instagram"}
FIELD_NAMES = sorted(
    {name for spec in registry().values() for name in spec.credential_names()} | {"expires_at", "network"}
)
EXAMPLES = int(os.environ.get("CLICKABLE_FUZZ_EXAMPLES", "150"))

dates = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),  # naive
    st.builds(
        lambda moment, minutes: moment.replace(tzinfo=None).isoformat() + _offset(minutes),
        st.datetimes(),
        st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
    ),
    st.sampled_from(["2027-01-31T00:00:00+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]),
    st.text(max_size=25),
)


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    value = timedelta(minutes=abs(minutes))
    return f"{sign}{value.seconds // 3600:02d}:{value.seconds // 60 % 60:02d}"


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20), dates
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
records = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES), st.one_of(st.text(min_size=1, max_size=20), dates, values), max_size=8),
    values,
)
documents = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(sorted(ACCOUNTS)), st.text(max_size=10)), records, max_size=4),
    values,
)
texts = st.one_of(documents.map(lambda document: json.dumps(document)), st.text(max_size=200))

FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write_credentials(folder: Path, text: str) -> Path:
    path = folder / ".clickable-credentials.json"
    path.write_text(text, "utf-8", errors="surrogatepass")
    path.chmod(0o600)
    return path


@FUZZ
@given(texts)
def test_random_credentials_files_never_crash_and_are_never_written(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "workspace"
    folder.mkdir(exist_ok=True)
    for leftover in folder.iterdir():
        leftover.unlink()
    path = write_credentials(folder, text)
    before = path.read_bytes()
    store = CredentialStore(folder, use_keyring=False, environ={})
    for account, network in ACCOUNTS.items():
        try:
            credentials = store.load(account, network)
        except ClickableError as error:
            assert str(error).startswith(str(path)), error
            continue
        if credentials is not None and credentials.expires_at is not None:
            assert credentials.expires_at.utcoffset() == timedelta(0)
    assert path.read_bytes() == before
    assert sorted(item.name for item in folder.iterdir()) == [path.name]


@FUZZ
@given(texts)
def test_saving_next_to_a_random_file_keeps_it_or_its_other_accounts(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "workspace"
    folder.mkdir(exist_ok=True)
    for leftover in folder.iterdir():
        leftover.unlink()
    path = write_credentials(folder, text)
    before = path.read_bytes()
    store = CredentialStore(folder, use_keyring=False, environ={})
    try:
        store.save("x-ecpat", "x", {"consumer_key": "k", "consumer_secret": "s"}, None)
    except ClickableError:
        assert path.read_bytes() == before  # a file that cannot be read back is never overwritten
    else:
        earlier = json.loads(before)
        now = json.loads(path.read_bytes())
        assert {key: value for key, value in now.items() if key != "x-ecpat"} == {
            key: value for key, value in earlier.items() if key != "x-ecpat"
        }
    assert sorted(item.name for item in folder.iterdir()) == [path.name]


@settings(max_examples=max(5, EXAMPLES // 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(text=texts)
def test_accounts_list_on_random_files_is_a_table_or_one_line(cli: Cli, text: str) -> None:
    campaign = cli.workspace / "campaign.yaml"
    if "sandbox: false" not in campaign.read_text("utf-8"):
        cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    path = write_credentials(cli.workspace, text)
    before = path.read_bytes()
    result = CliRunner().invoke(
        app, ["accounts", "list", "--json"], env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_KEYRING": "0"}
    )
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    else:
        assert {row["name"] for row in json.loads(result.stdout)} >= set(ACCOUNTS)
    assert path.read_bytes() == before
