"""Commands of the networks room: `clickable accounts add|list|check|resume` and `clickable emulator serve`."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from campaign.context import AppState, command_group, print_json, state
from campaign.errors import CampaignFileError, CannotListen, ClickableError
from campaign.i18n import _

if TYPE_CHECKING:
    from campaign.schema import CampaignFile
    from networks.accounts import AccountRef
    from networks.credentials import CredentialStore

# The campaign checks, the database and the network clients are imported inside the commands.

accounts_app = command_group("Credentials of the publishing accounts.")
emulator_app = command_group("The local emulator of the networks' APIs.")
EXPIRY_WARNING = timedelta(days=7)


class UnknownAccount(ClickableError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            _("no account '{name}' in campaign.yaml (accounts: {known}): add it under accounts: first").format(name=name, known=', '.join(known) or _('none'))
        )


def _campaign(app_state: AppState) -> CampaignFile:
    from campaign.checks import check_file

    report = check_file(app_state.settings.campaign_file(), networks=app_state.networks, now=app_state.now())
    if report.campaign is None:
        raise CampaignFileError(report.problems)
    return report.campaign


def account_ref(campaign: CampaignFile, name: str) -> AccountRef:
    if name not in campaign.accounts:
        raise UnknownAccount(name, list(campaign.accounts))
    from networks.accounts import AccountRef

    spec = campaign.accounts[name]
    return AccountRef(
        name, spec.network, spec.sandbox, spec.model_dump(exclude={"network", "sandbox"}, exclude_none=True)
    )


def credential_store(app_state: AppState) -> CredentialStore:
    from networks.credentials import CredentialStore

    return CredentialStore(app_state.settings.workspace())


@accounts_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Account name from campaign.yaml.")],
    expires: Annotated[
        str | None, typer.Option(help="Token expiry date, YYYY-MM-DD (warned 7 days ahead).")
    ] = None,
    client_secrets: Annotated[
        Path | None,
        typer.Option(help="OAuth networks: the app's client secrets file (Google Cloud Console's JSON)."),
    ] = None,
    consent: Annotated[
        bool, typer.Option(help="OAuth networks: ask for consent again, for a new refresh token.")
    ] = False,
) -> None:
    """Store an account's credentials in the OS keyring or a mode-600 file.

    Prompted (hidden) for each field, or, on a network connected by OAuth (YouTube), through its
    consent page in the browser and a loopback redirect; a reconnect keeps the stored refresh token
    when the network sends none."""
    app_state = state(ctx)
    account = account_ref(_campaign(app_state), name)
    expires_at = None
    if expires:
        try:
            # a day (the end of a token's life is known to the day): a time or an offset written
            # here used to be kept with its offset silently replaced by UTC
            expires_at = datetime.combine(date.fromisoformat(expires), time_of_day.min, tzinfo=UTC)
        except ValueError:
            raise ClickableError(
                _("--expires {value!r} is not a date: write it as YYYY-MM-DD").format(value=expires)
            ) from None
    store = credential_store(app_state)
    store.ensure_can_save()  # before the secrets are typed: a refusal then costs nothing
    spec = store.networks[account.network]
    values: dict[str, str] = {}
    if spec.connect is not None:
        values = _connect(app_state, account, store, client_secrets, consent)
    for credential in spec.credentials if spec.connect is None else ():
        if not credential.required:
            continue  # optional fields come from the environment or the credentials file
        label = credential.name.replace("_", " ")
        value = typer.prompt(_(credential.prompt) or label, hide_input=credential.secret).strip()
        if not value:
            raise ClickableError(_("{label} cannot be empty: nothing was stored").format(label=label))
        if (problem := credential.problem(value)) is not None:
            raise ClickableError(
                _("{label}: {problem}: nothing was stored").format(label=label, problem=problem)
            )
        values[credential.name] = value
    app_state.secrets.add(*[value for key, value in values.items() if key in spec.secret_fields()])
    where = store.save(name, account.network, values, expires_at)
    _record_expiry(app_state, name, expires_at)
    app_state.console.print(
        _("Credentials for {name} ({network}) stored in {where}. Check them with `clickable accounts check {name}`.").format(name=name, network=account.network, where=where)
    )
    if store.exposed_to_git():
        app_state.err_console.print(
            _(
                "warning: git does not ignore {path}: add it to .gitignore so that it is never committed"
            ).format(path=store.file)
        )


def _connect(
    app_state: AppState,
    account: AccountRef,
    store: CredentialStore,
    client_secrets: Path | None,
    consent: bool,
) -> dict[str, str]:
    """The network's own connection flow (OAuth on a loopback redirect)."""
    from networks.oauth import ConnectRequest

    spec = store.networks[account.network]
    assert spec.connect is not None
    previous = store.load(account.name, account.network)
    request = ConnectRequest(
        account=account.name,
        network=account.network,
        previous={key: previous.get(key) for key in previous.values} if previous else None,
        emulator_url=app_state.settings.emulator_url if account.sandbox else None,
        client_secrets=client_secrets,
        consent=consent,
        prompt=lambda label, hidden: str(typer.prompt(label, hide_input=hidden)),
        say=lambda line: app_state.console.print(line, soft_wrap=True, highlight=False),
    )
    values = spec.connect()().connect(request)
    app_state.secrets.add(*[value for key, value in values.items() if key in spec.secret_fields()])
    return values


def _record_expiry(app_state: AppState, name: str, expires_at: datetime | None) -> None:
    """The expiry date (not a secret) goes to the database too, for `doctor` and the daemon."""
    from sqlmodel import select

    from campaign.models import Account

    try:
        with app_state.database().session() as session:
            for row in session.exec(select(Account).where(Account.name == name)):
                row.token_expires_at = expires_at
                row.needs_reauth = False
                session.add(row)
    except ClickableError:
        return


@accounts_app.command("list")
def list_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List the accounts, where their credentials come from, and tokens that expire soon."""
    from rich.table import Table

    app_state = state(ctx)
    campaign = _campaign(app_state)
    store = credential_store(app_state)
    now = app_state.now()
    rows: list[dict[str, str | bool | None]] = []
    for name in campaign.accounts:
        account = account_ref(campaign, name)
        if account.sandbox:
            source, expires_at = "emulator (sandbox)", None
        else:
            credentials = store.load(name, account.network)
            source = credentials.source if credentials else "missing"
            expires_at = credentials.expires_at if credentials else None
        warning = None
        if source == "missing":
            warning = _("run `clickable accounts add {name}`").format(name=name)
        elif expires_at is not None and expires_at - now <= EXPIRY_WARNING:
            days = (expires_at - now).days
            warning = _("token expires in {days} days").format(days=days) if days >= 0 else _("token expired")
        rows.append(
            {
                "name": name,
                "network": account.network,
                "sandbox": account.sandbox,
                "credentials": source,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "warning": warning,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(_("account"), _("network"), _("credentials"), _("expires"), _("attention"))
    for row in rows:
        cells = [str(row[key] or "") for key in ("name", "network", "credentials", "expires_at", "warning")]
        cells[3] = cells[3][:10]
        table.add_row(*cells)
    app_state.console.print(table)


@accounts_app.command("check")
def check_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Account name from campaign.yaml.")]
) -> None:
    """Make one cheap authenticated call with the account's credentials."""
    from networks.accounts import build_adapter
    from networks.base import NetworkError

    app_state = state(ctx)
    account = account_ref(_campaign(app_state), name)
    try:
        adapter = build_adapter(
            account,
            store=credential_store(app_state),
            emulator_url=app_state.settings.emulator_url,
            registry=app_state.secrets,
        )
        who = adapter.check_credentials()
    except ClickableError:  # credentials missing or unreadable, emulator away: says what to do
        raise
    except NetworkError as error:
        raise ClickableError(_("account {name}: {error}").format(name=name, error=error)) from None
    except Exception as error:  # an answer the adapter could not read: one line, details with --verbose
        logging.getLogger("clickable.accounts").debug("check of %s", name, exc_info=True)
        raise ClickableError(
            _(
                "account {account}: unexpected answer from {network} ({kind}: {error}); "
                "`clickable --verbose accounts check {account}` shows the details"
            ).format(account=name, network=account.network, kind=type(error).__name__, error=error)
        ) from None
    app_state.console.print(_("{name}: credentials accepted by {network} ({who}).").format(name=name, network=account.network, who=who))


@accounts_app.command("resume")
def resume_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Account name from campaign.yaml.")]
) -> None:
    """Resume an account its network stopped (credits spent, a usage cap): its paused deliveries are queued again."""
    from sqlmodel import select

    from campaign.models import Account
    from schedules.states import resume_account

    app_state = state(ctx)
    now = app_state.now()
    with app_state.database().session() as session:
        rows = list(session.exec(select(Account).where(Account.name == name)))
        if not rows:
            raise UnknownAccount(name, sorted({row.name for row in session.exec(select(Account))}))
        queued = sum(resume_account(session, account, now=now) for account in rows)
    app_state.console.print(
        _("Account {account} resumed: {count} deliveries queued again.").format(account=name, count=queued)
    )


@emulator_app.command("serve")
def serve_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the engagement numbers.")] = 2026,
) -> None:
    """Serve the registered networks' API emulator on 127.0.0.1 until Ctrl-C."""
    from networks.emulator.server import Emulator as EmulatorState
    from networks.emulator.server import EmulatorServer

    app_state = state(ctx)
    try:
        server = EmulatorServer(EmulatorState(seed), port=port)
    except OSError as error:
        raise CannotListen("127.0.0.1", port, error.strerror or str(error)) from None
    server.start()
    app_state.console.print(
        _("Emulator listening on {url} — sandbox accounts publish here. Ctrl-C to stop.").format(url=server.url)
    )
    app_state.console.print(_("What was published: {url}/_emulator/published").format(url=server.url))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


__all__ = ["accounts_app", "emulator_app"]
