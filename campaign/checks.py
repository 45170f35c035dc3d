"""`clickable campaign check`: structure and meaning of a campaign file, with positions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pydantic import ValidationError

from campaign.characters import HiddenCharacter, has_hidden_candidates, name_problem, text_problem
from campaign.errors import CampaignFileError, Problem
from campaign.i18n import _
from campaign.rules import ChoiceRules, NetworkRules, Networks, one_of
from campaign.schema import AccountSpec, CampaignFile, ChannelSpec, PostSpec, TargetSpec
from campaign.slots import parse_quiet_hours, parse_slots
from campaign.texts import (
    LINK_IN_TEXT,
    LINK_NONE,
    LINK_PLACEHOLDER,
    LINK_SETTING,
    TextLength,
    link_in_text,
    render_text,
)
from campaign.timezones import (
    LocalTimeKind,
    classify,
    format_local,
    load_zone,
    parse_local,
    transition_window,
)
from campaign.yamlsource import Path_, YamlSource, load_yaml, paused_collector

# Problems are sorted by priority first: the ones that hide or explain the others come first.
STRUCTURE = 1
REFERENCE = 2
TIME = 3
TEXT = 4

LINK_CODE_LENGTH = 8
SAMPLE_CODE = "X" * LINK_CODE_LENGTH
HOURS_RANGE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PHONE = re.compile(r"^\+?[0-9 ]{2,20}$")


@dataclass(frozen=True)
class VariantReport:
    post: str
    account: str
    network: str
    length: int
    limit: int
    ok: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "post": self.post,
            "account": self.account,
            "network": self.network,
            "length": self.length,
            "limit": self.limit,
            "ok": self.ok,
        }


@dataclass
class CheckReport:
    """What `campaign check` found: problems (most useful first) and every variant's length."""

    file: Path
    source: YamlSource
    campaign: CampaignFile | None
    problems: list[Problem] = field(default_factory=list)
    variants: list[VariantReport] = field(default_factory=list)
    networks: Networks = field(default_factory=dict, repr=False)  # what the file was checked against
    # what the check could not know and assumed (an instance's text limit not read yet): not problems;
    # printed for people (stderr), not in --json (whose variants carry the limit counted against)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "errors": [problem.as_dict() for problem in sorted(self.problems)],
            "variants": [variant.as_dict() for variant in self.variants],
        }

    def raise_for_problems(self) -> CampaignFile:
        """The validated campaign, or CampaignFileError with every problem."""
        if self.problems or self.campaign is None:
            raise CampaignFileError(self.problems)
        return self.campaign


def sample_link(campaign: CampaignFile) -> str:
    """A tracked link of the real length, for counting before the codes exist."""
    return tracked_url(campaign.landing.base_url, SAMPLE_CODE)


def tracked_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/r/{code}"


def post_wants_link(post: PostSpec, text: str) -> bool:
    return bool(post.link) or LINK_PLACEHOLDER in text


def variant_template(post: PostSpec, network: str) -> str:
    if post.variants and network in post.variants:
        return post.variants[network].text
    return post.text


def post_territories(campaign: CampaignFile, post: PostSpec) -> list[str]:
    """The territories a post goes to: its own list, else the campaign default, else all."""
    if post.territories is not None:
        return list(post.territories)
    if campaign.campaign.default_territories is not None:
        return list(campaign.campaign.default_territories)
    return list(campaign.territories)


def account_territories(campaign: CampaignFile, account: str, territories: Iterable[str]) -> list[str]:
    """The territories among ``territories`` that ``account`` serves."""
    spec = campaign.accounts[account]
    return [key for key in territories if spec.territories is None or key in spec.territories]


@paused_collector()  # the file's values and their positions live until the check ends
def check_file(path: Path, *, networks: Networks, now: datetime | None = None) -> CheckReport:
    """Check ``path`` completely against the registered ``networks``; never raises for a bad file."""
    source = load_yaml(path, display_name=str(path))
    report = CheckReport(
        file=path, source=source, campaign=None, problems=list(source.problems), networks=networks
    )
    if any(problem.priority == 0 for problem in source.problems):
        return report
    try:
        campaign = CampaignFile.model_validate(source.data)
    except ValidationError as error:
        report.problems.extend(_structure_problems(source, error))
        return report
    report.campaign = campaign
    _Checker(report, campaign, source, path.parent, now or datetime.now(UTC), networks).run()
    report.problems.sort()
    return report


def target_problems(report: CheckReport) -> list[Problem]:
    """The problems of the ``targets:`` section alone (or the structure's, when it does not parse).

    Statistics use the targets of a campaign under way, whose posts' times are in the past (a
    problem for `campaign check`, not for counting progress).
    """
    if report.campaign is None:
        return sorted(report.problems)
    scratch = CheckReport(
        file=report.file, source=report.source, campaign=report.campaign, networks=report.networks
    )
    checker = _Checker(
        scratch, report.campaign, report.source, report.file.parent, datetime.now(UTC), report.networks
    )
    for key, target in report.campaign.targets.items():
        checker.check_target(key, target)
    return sorted(scratch.problems)


def _dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or _("the file")


def _structure_problems(
    source: YamlSource,
    error: ValidationError,
    *,
    allowed_keys: Callable[[Path_], list[str]] | None = None,
) -> list[Problem]:
    """One problem per structural error; ``allowed_keys`` lists the keys a place takes (the
    campaign file's by default; capsule scripts pass their own)."""
    keys_at = allowed_keys or _allowed_keys
    problems = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        loc = _source_loc(source, tuple(item["loc"]), keep_last=kind == "missing")
        value = item.get("input")
        where = _dotted(loc)
        if kind == "missing" and loc:
            parent = loc[:-1]
            message = _("missing required key '{loc}' in {parent}").format(loc=loc[-1], parent=_dotted(parent))
            problems.append(source.problem(parent, message, priority=STRUCTURE, key=bool(parent)))
            continue
        if kind == "extra_forbidden" and loc:
            parent = loc[:-1]
            model = keys_at(parent)
            hint = _(": expected one of {model}").format(model=', '.join(model)) if model else ""
            message = _("unknown key '{loc}' in {parent}{hint}").format(loc=loc[-1], parent=_dotted(parent), hint=hint)
            problems.append(source.problem(loc, message, priority=STRUCTURE, key=True))
            continue
        if kind in ("string_type", "str_type"):
            message = _("{where} must be text, not {value}: put it in quotes").format(where=where, value=_type_name(value))
        elif kind == "bool_type":
            message = _("{where} must be true or false, not {value!r}").format(where=where, value=value)
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = _("{where} must be a mapping of keys to values, not {value}").format(where=where, value=_type_name(value))
        elif kind == "list_type":
            message = _("{where} must be a list (one '- item' per line), not {value}").format(where=where, value=_type_name(value))
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            message = _("{where} is {value!r}, expected {expected}").format(where=where, value=value, expected=expected)
        elif kind == "string_pattern_mismatch" and str(item.get("ctx", {}).get("pattern", "")).startswith(
            "^#"
        ):
            message = _("{where} {value!r} must be a colour written #rrggbb, e.g. #1d3557").format(where=where, value=value)
        elif kind == "string_pattern_mismatch":
            message = _("{where} {value!r} may hold only letters, digits, '-' and '_' (and start with a letter or digit)").format(where=where, value=value)
        elif kind in ("too_short", "string_too_short"):
            message = _("{where} must not be empty").format(where=where)
        elif kind == "string_too_long":
            message = _("{where} is too long ({max_length} characters at most)").format(where=where, max_length=item.get('ctx', {}).get('max_length'))
        elif kind in ("int_type", "int_parsing", "int_from_float"):
            message = (
                _("{where} must be a whole number, not the text {value!r}: write it without quotes")
                if isinstance(value, str)
                else _("{where} must be a whole number, not {value}")
            ).format(where=where, value=value if isinstance(value, str) else _type_name(value))
        elif kind == "greater_than_equal":
            message = _("{where} must be at least {limit}").format(
                where=where, limit=item.get("ctx", {}).get("ge")
            )
        elif kind.startswith("date_"):
            message = _("{where} must be a date written YYYY-MM-DD, e.g. 2027-06-30").format(where=where)
        elif kind == "datetime_type" or (kind.startswith("datetime") and len(loc) and loc[-1] == "at"):
            message = _("{where} must be a local time 'YYYY-MM-DD HH:MM'").format(where=where)
        else:
            message = f"{where}: {item['msg']}"
        problems.append(source.problem(loc, message, priority=STRUCTURE))
    # one problem per position is enough (unions report each member)
    unique: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.column, problem.message), problem)
    return list(unique.values())


def _split_url(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


def _source_loc(source: YamlSource, loc: Path_, *, keep_last: bool) -> Path_:
    """Pydantic's error location reduced to the parts that name places in the file.

    Pydantic adds union member tags ('str', 'datetime') and '[key]' to locations: they are dropped.
    """
    kept: Path_ = ()
    for index, part in enumerate(loc):
        candidate = (*kept, part)
        if candidate in source.values or (keep_last and index == len(loc) - 1):
            kept = candidate
    return kept


def _allowed_keys(parent: Path_) -> list[str]:
    from campaign import schema

    shapes: dict[str, type[Any]] = {
        "": schema.CampaignFile,
        "campaign": schema.CampaignInfo,
        "approval": schema.ApprovalPolicy,
        "landing": schema.LandingSpec,
    }
    names = [part for part in parent if isinstance(part, str)]
    if not parent:
        model: type[Any] | None = shapes[""]
    elif parent[0] in ("territories", "accounts", "capsules", "targets") and len(parent) == 2:
        model = {
            "territories": schema.TerritorySpec,
            "accounts": schema.AccountSpec,
            "capsules": schema.CapsuleRef,
            "targets": schema.TargetSpec,
        }[str(parent[0])]
    elif parent[0] == "posts" and len(parent) == 2:
        model = schema.PostSpec
    elif parent[0] == "posts" and len(parent) == 4 and parent[2] == "variants":
        model = schema.VariantSpec
    elif parent[0] == "landing" and len(parent) == 3:
        model = schema.ChannelSpec
    else:
        model = shapes.get(".".join(names))
    return list(model.model_fields) if model is not None else []


def _type_name(value: object) -> str:
    if value is None:
        return _("nothing (empty value)")
    if isinstance(value, bool):
        return _("a true/false value ({lower})").format(lower=str(value).lower())
    if isinstance(value, int | float):
        return _("a number ({value})").format(value=value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class _Checker:
    def __init__(
        self,
        report: CheckReport,
        campaign: CampaignFile,
        source: YamlSource,
        folder: Path,
        now: datetime,
        networks: Networks,
    ) -> None:
        self.report = report
        self.campaign = campaign
        self.source = source
        self.folder = folder
        self.now = now
        self.networks = networks
        self.valid_zones: set[str] = set()
        self._lines: list[str] | None = None
        self._times: dict[tuple[datetime, str], tuple[LocalTimeKind, datetime | None]] = {}
        self._account_rules: dict[str, NetworkRules] = {}

    def rules(self, account: str) -> NetworkRules | None:
        """The rules of the account's network, None when no registered network has that name."""
        spec = self.campaign.accounts.get(account)
        return self.networks.get(spec.network) if spec is not None else None

    def add(self, path: Path_, message: str, priority: int, *, key: bool = False) -> None:
        self.report.problems.append(self.source.problem(path, message, priority=priority, key=key))

    def run(self) -> None:
        self.check_territories()
        self.check_accounts()
        self.check_capsules()
        self.check_landing()
        self.check_approval()
        self.check_schedule()
        self.check_hidden_characters()
        for key, target in self.campaign.targets.items():
            self.check_target(key, target)
        seen: dict[str, int] = {}
        for index, post in enumerate(self.campaign.posts):
            if post.id in seen:
                first = self.source.position(("posts", seen[post.id], "id"))
                self.add(
                    ("posts", index, "id"),
                    _("duplicate post id '{id}' (first at line {line}): give each post its own id").format(id=post.id, line=first.line),
                    REFERENCE,
                )
            else:
                seen[post.id] = index
            self.check_post(index, post)

    def check_schedule(self) -> None:
        def slots(path: Path_, specs: list[str] | None) -> None:
            for index, spec in enumerate(specs or []):
                try:
                    parse_slots(spec)
                except ValueError as error:
                    self.add((*path, index), str(error), STRUCTURE)

        def quiet(path: Path_, spec: str | None) -> None:
            if spec is not None:
                try:
                    parse_quiet_hours(spec)
                except ValueError as error:
                    self.add(path, str(error), STRUCTURE)

        quiet(("schedule", "quiet_hours"), self.campaign.schedule.quiet_hours)
        for key, territory in self.campaign.territories.items():
            slots(("territories", key, "slots"), territory.slots)
            quiet(("territories", key, "quiet_hours"), territory.quiet_hours)
        for name, account in self.campaign.accounts.items():
            slots(("accounts", name, "slots"), account.slots)
        known_caps = list(dict.fromkeys(key for rules in self.networks.values() for key in rules.caps))
        for network, cap in self.campaign.schedule.caps.items():
            if network not in known_caps:
                self.add(
                    ("schedule", "caps", network),
                    _("unknown network '{network}' in caps: use {known}").format(
                        network=network, known=one_of(known_caps)
                    ),
                    STRUCTURE,
                    key=True,
                )
            elif cap < 1:
                self.add(("schedule", "caps", network), _("cap for {network} must be at least 1").format(network=network), STRUCTURE)
        for network, price in self.campaign.schedule.prices.items():
            if network not in self.networks:
                self.add(
                    ("schedule", "prices", network),
                    _("unknown network '{network}' in prices: use {known}").format(
                        network=network, known=one_of(list(self.networks))
                    ),
                    STRUCTURE,
                    key=True,
                )
            elif self.networks[network].prices is None and price.post is None:
                self.add(
                    ("schedule", "prices", network),
                    _("{network} declares no prices: give at least its 'post' price").format(network=network),
                    STRUCTURE,
                )

    def check_territories(self) -> None:
        self.check_languages(("campaign", "language"), [self.campaign.campaign.language])
        for key, territory in self.campaign.territories.items():
            self.check_languages(("territories", key, "languages"), territory.languages)
            try:
                load_zone(territory.timezone)
            except ValueError as error:
                self.add(("territories", key, "timezone"), str(error), REFERENCE)
            else:
                self.valid_zones.add(key)
        self.check_territory_list(
            ("campaign", "default_territories"), self.campaign.campaign.default_territories
        )

    def check_languages(self, path: Path_, tags: list[str] | None) -> None:
        """Language tags checked with langcodes; `campaign.language` is one tag, not a list."""
        from campaign.i18n import _
        from campaign.languages import tag_problem

        if tags is None:
            return
        if not tags:
            self.add(
                path,
                _("{where} is an empty list: name at least one language, e.g. [rcf, fr]").format(
                    where=_dotted(path)
                ),
                REFERENCE,
            )
        single = path == ("campaign", "language")
        for index, tag in enumerate(tags):
            problem = tag_problem(tag)
            if problem is None and tag in tags[:index]:
                problem = _("language '{tag}' is listed twice: keep one").format(tag=tag)
            if problem:
                self.add(path if single else (*path, index), problem, REFERENCE)

    def check_territory_list(self, path: Path_, keys: list[str] | None, *, star: bool = False) -> None:
        if keys is None:
            return
        if not keys:
            self.add(
                path,
                _("{path} is an empty list: name at least one territory or remove the key").format(path=_dotted(path)),
                REFERENCE,
            )
        for index, key in enumerate(keys):
            if star and key == "*":
                continue
            if key not in self.campaign.territories:
                self.add(
                    (*path, index),
                    _("unknown territory '{key}': known territories are {territories}").format(key=key, territories=', '.join(self.campaign.territories)),
                    REFERENCE,
                )

    def check_accounts(self) -> None:
        for name, account in self.campaign.accounts.items():
            self.check_territory_list(("accounts", name, "territories"), account.territories)
            if not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
                self.add(
                    ("accounts", name),
                    _("account name '{name}' may hold only lowercase letters, digits, '-' and '_'").format(name=name),
                    STRUCTURE,
                    key=True,
                )
            rules = self.networks.get(account.network)
            if rules is None:
                self.add(
                    ("accounts", name, "network"),
                    _("{where} is {value}, expected {known}").format(
                        where=_dotted(("accounts", name, "network")),
                        value=repr(account.network),
                        known=one_of(list(self.networks), quote=True),
                    ),
                    STRUCTURE,
                )
                continue
            self.check_account_settings(name, account, rules)
            for key, message in rules.account_problems(account.network_settings()):
                self.add(
                    ("accounts", name, key) if key else ("accounts", name),
                    _("account '{account}': {problem}").format(account=name, problem=message),
                    STRUCTURE,
                    key=key is None,
                )

    def account_rules(self, name: str) -> NetworkRules:
        """The rules of one account's network for that account (its instance's limits where they
        differ per instance); a note when they are defaults (once per account)."""
        if name not in self._account_rules:
            account = self.campaign.accounts[name]
            rules, note = self.networks[account.network].for_account(account.network_settings(), self.folder)
            if note:
                self.report.notes.append(
                    self.source.problem(
                        ("accounts", name),
                        _("account '{account}': {note}").format(account=name, note=note),
                        priority=TEXT,
                        key=True,
                    )
                )
            self._account_rules[name] = rules
        return self._account_rules[name]

    def check_account_settings(self, name: str, account: AccountSpec, rules: NetworkRules) -> None:
        """Keys beyond the common ones must be settings the account's network declares; never secrets."""
        allowed = list(rules.campaign_settings())
        choices = {choice.name: choice for choice in rules.choices}
        for key, value in account.network_settings().items():
            path: Path_ = ("accounts", name, key)
            if key in rules.secret_fields():
                self.add(
                    path,
                    _(
                        "'{key}' is a secret: never write it in the campaign file; "
                        "store it with `clickable accounts add {account}`"
                    ).format(key=key, account=name),
                    STRUCTURE,
                    key=True,
                )
            elif key not in allowed:
                common = [field for field in AccountSpec.model_fields if field not in ("network",)]
                self.add(
                    path,
                    _("unknown key '{key}' in {where}: expected one of {known}").format(
                        key=key,
                        where=_dotted(("accounts", name)),
                        known=", ".join(["network", *common, *allowed]),
                    ),
                    STRUCTURE,
                    key=True,
                )
            elif key in choices:
                self.check_choice(path, choices[key], value, rules)
            elif key == LINK_SETTING and value not in (LINK_IN_TEXT, LINK_NONE):
                self.add(
                    path,
                    _("{where} is {value}, expected {known}").format(
                        where=_dotted(path), value=repr(value), known=one_of([LINK_IN_TEXT, LINK_NONE], quote=True)
                    ),
                    STRUCTURE,
                )
            elif not isinstance(value, str | bool | int):
                self.add(
                    path,
                    _("{where} must be text, not {kind}").format(where=_dotted(path), kind=_type_name(value)),
                    STRUCTURE,
                )

    def check_capsules(self) -> None:
        for key, capsule in self.campaign.capsules.items():
            script = (self.folder / capsule.script).resolve()
            if not script.is_file():
                self.add(
                    ("capsules", key, "script"),
                    _("capsule script '{script}' not found (paths are relative to the campaign file)").format(script=capsule.script),
                    REFERENCE,
                )

    def check_landing(self) -> None:
        landing = self.campaign.landing
        parts = _split_url(landing.base_url)
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            self.add(
                ("landing", "base_url"),
                _("landing.base_url '{base_url}' must be an http(s) address without query, e.g. https://signaler.example.org").format(base_url=landing.base_url),
                REFERENCE,
            )
        neutral = _split_url(landing.neutral_url)
        if neutral is None or neutral.scheme != "https" or not neutral.netloc:
            self.add(
                ("landing", "neutral_url"),
                _(
                    "landing.neutral_url '{url}' must start with https:// (the quick-exit button "
                    "leads there), e.g. https://www.google.fr/search?q=m%C3%A9t%C3%A9o"
                ).format(url=landing.neutral_url),
                REFERENCE,
            )
        for key, channel in landing.channels.items():
            self.check_channel(key, channel)

    def check_channel(self, key: str, channel: ChannelSpec) -> None:
        path: Path_ = ("landing", "channels", key)
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", key):
            self.add(
                path,
                _("channel id '{key}' may hold only lowercase letters, digits, '-' and '_'").format(key=key),
                STRUCTURE,
                key=True,
            )
        if not (channel.url or channel.phone or channel.sms):
            self.add(path, _("channel '{key}' needs a url, a phone or an sms number").format(key=key), REFERENCE)
        if channel.url is not None:
            parts = _split_url(channel.url)
            if parts is None or parts.scheme != "https" or not parts.netloc:
                self.add((*path, "url"), _("channel '{key}' url must start with https://").format(key=key), REFERENCE)
        for kind in ("phone", "sms"):
            number = getattr(channel, kind)
            if number is not None and not PHONE.match(number):
                self.add(
                    (*path, kind),
                    _("channel '{key}' {kind} '{number}' must hold only digits and spaces").format(key=key, kind=kind, number=number),
                    REFERENCE,
                )
        self.check_territory_list((*path, "territories"), channel.territories, star=True)
        self.check_hours((*path, "hours"), channel.hours)

    def check_hours(self, path: Path_, hours: object) -> None:
        if hours is None or hours == "always":
            return
        usage = (
            _("hours must be 'always' or {zone: Europe/Paris, daily: ['09:00-23:00']} (or weekly: {mon: [...]})")
        )
        if not isinstance(hours, dict) or "zone" not in hours or not ({"daily", "weekly"} & set(hours)):
            self.add(path, usage, STRUCTURE)
            return
        unknown = set(hours) - {"zone", "daily", "weekly"}
        if unknown:
            self.add(path, _("unknown key '{unknown}' in hours: {usage}").format(unknown=sorted(unknown)[0], usage=usage), STRUCTURE)
        try:
            load_zone(str(hours["zone"]))
        except ValueError as error:
            self.add((*path, "zone"), str(error), REFERENCE)
        ranges: list[tuple[Path_, object]] = []
        if "daily" in hours:
            ranges.append(((*path, "daily"), hours["daily"]))
        if "weekly" in hours:
            weekly = hours["weekly"]
            if not isinstance(weekly, dict):
                self.add((*path, "weekly"), usage, STRUCTURE)
            else:
                for day, value in weekly.items():
                    if day not in WEEKDAYS:
                        self.add(
                            (*path, "weekly", str(day)),
                            _("unknown day '{day}': use {weekdays}").format(day=day, weekdays=', '.join(WEEKDAYS)),
                            STRUCTURE,
                            key=True,
                        )
                    ranges.append(((*path, "weekly", str(day)), value))
        for where, value in ranges:
            if not isinstance(value, list):
                self.add(
                    where, _("opening hours must be a list such as ['09:00-12:00', '14:00-18:00']"), STRUCTURE
                )
                continue
            for index, item in enumerate(value):
                match = HOURS_RANGE.match(item) if isinstance(item, str) else None
                if match is None:
                    self.add((*where, index), _("'{item}' is not an opening range 'HH:MM-HH:MM'").format(item=item), STRUCTURE)
                elif match.group(1) == "24" or (match.group(3) == "24" and match.group(4) != "00"):
                    self.add(
                        (*where, index),
                        _("'{range}': a day runs from 00:00 to 24:00, write e.g. '20:00-24:00'").format(
                            range=item
                        ),
                        STRUCTURE,
                    )

    def check_hidden_characters(self) -> None:
        """Texts readers see (posts, names on the landing page) must be what is published."""
        info = self.campaign.campaign

        def check(path: Path_, text: str, what: Callable[[], str]) -> None:
            if not has_hidden_candidates(text):  # the common case, tested first: no message is built
                return
            found = text_problem(what(), text)
            if found is not None:
                hidden, message = found
                line, column = self._character_position(path, text, hidden)
                self.report.problems.append(Problem(TEXT, self.source.file, line, column, message))

        check(("campaign", "name"), info.name, lambda: "campaign.name")
        for key, territory in self.campaign.territories.items():
            check(("territories", key, "name"), territory.name, lambda key=key: _("territory '{key}' name").format(key=key))  # type: ignore[misc]
        for key, channel in self.campaign.landing.channels.items():
            check(("landing", "channels", key, "name"), channel.name, lambda key=key: _("channel '{key}' name").format(key=key))  # type: ignore[misc]
            if channel.description is not None:
                check(
                    ("landing", "channels", key, "description"),
                    channel.description,
                    lambda key=key: _("channel '{key}' description").format(key=key),  # type: ignore[misc]
                )
        for index, post in enumerate(self.campaign.posts):
            check(("posts", index, "text"), post.text, lambda post=post: f"post '{post.id}'")  # type: ignore[misc]
            for network, variant in (post.variants or {}).items():
                check(
                    ("posts", index, "variants", network, "text"),
                    variant.text,
                    lambda post=post, network=network: _("post '{id}' on {network}").format(id=post.id, network=network),  # type: ignore[misc]
                )
        authors: list[tuple[Path_, str | None]] = [(("campaign", "author"), info.author)]
        authors += [(("posts", index, "author"), post.author) for index, post in enumerate(self.campaign.posts)]
        for path, author in authors:
            reason = name_problem(author) if author is not None else None
            if reason is not None:
                self.add(path, _("{where}: {reason}").format(where=_dotted(path), reason=reason), TEXT)

    def _character_position(self, path: Path_, text: str, hidden: HiddenCharacter) -> tuple[int, int]:
        """Where ``hidden`` stands in the file when it is written there as it is, else where its text starts."""
        start = self.source.position(path)
        lines = self._file_lines()
        if not 0 < start.line <= len(lines):
            return start.line, start.column
        first = lines[start.line - 1]
        if first[start.column - 1 : start.column] in ("|", ">"):  # a block: text lines follow
            number = start.line + hidden.line
            if number <= len(lines):
                candidate = lines[number - 1]
                column = len(candidate) - len(candidate.lstrip(" ")) + hidden.column
                if candidate[column - 1 : column] == hidden.character:
                    return number, column
        elif hidden.line == 1:
            occurrence = text[: hidden.index].count(hidden.character)
            at = start.column - 2
            for _occurrence in range(occurrence + 1):
                at = first.find(hidden.character, at + 1)
                if at < 0:
                    break
            if at >= 0:
                return start.line, at + 1
        return start.line, start.column

    def _file_lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.source.text.splitlines()
        return self._lines

    def check_target(self, key: str, target: TargetSpec) -> None:
        path: Path_ = ("targets", key)
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", key):
            self.add(
                path,
                _("target id '{key}' may hold only lowercase letters, digits, '-' and '_'").format(key=key),
                STRUCTURE,
                key=True,
            )
        self.check_territory_list((*path, "territories"), target.territories)
        channels = self.campaign.landing.channels
        if target.channel is not None and target.metric != "channel_clicks":
            self.add(
                (*path, "channel"),
                _("target '{key}': a channel applies only to metric: channel_clicks").format(key=key),
                REFERENCE,
            )
        elif target.channel is not None and target.channel not in channels:
            self.add(
                (*path, "channel"),
                _("target '{key}': unknown channel '{channel}': known channels are {known}").format(
                    key=key, channel=target.channel, known=", ".join(channels)
                ),
                REFERENCE,
            )
        if target.per == "campaign" and target.until is None:
            self.add(
                path,
                _(
                    "target '{key}': a campaign target needs 'until: YYYY-MM-DD', its deadline, "
                    "to tell whether it is on track (or use per: month)"
                ).format(key=key),
                REFERENCE,
                key=True,
            )
        if target.since and target.until and target.until < target.since:
            self.add(
                (*path, "until"),
                _("target '{key}': until {until} is before since {since}").format(
                    key=key, until=target.until.isoformat(), since=target.since.isoformat()
                ),
                TIME,
            )

    def check_approval(self) -> None:
        policy = self.campaign.approval
        if policy.two_person and not policy.required:
            self.add(("approval", "two_person"), _("two_person needs required: true"), STRUCTURE)

    def check_post(self, index: int, post: PostSpec) -> None:
        path: Path_ = ("posts", index)
        known_accounts = [name for name in post.accounts if self.rules(name) is not None]
        for position, name in enumerate(post.accounts):
            if name not in self.campaign.accounts:
                self.add(
                    (*path, "accounts", position),
                    _("post '{id}': unknown account '{name}': known accounts are {accounts}").format(id=post.id, name=name, accounts=', '.join(self.campaign.accounts)),
                    REFERENCE,
                )
        if len(set(post.accounts)) != len(post.accounts):
            self.add((*path, "accounts"), _("post '{id}' names the same account twice").format(id=post.id), REFERENCE)
        self.check_territory_list((*path, "territories"), post.territories)
        territories = [
            key for key in post_territories(self.campaign, post) if key in self.campaign.territories
        ]
        for name in known_accounts:
            if territories and not account_territories(self.campaign, name, territories):
                self.add(
                    (*path, "accounts", post.accounts.index(name)),
                    _("post '{id}': account '{name}' serves none of the post's territories").format(id=post.id, name=name),
                    REFERENCE,
                )
        networks = {self.campaign.accounts[name].network for name in known_accounts}
        if post.capsule is not None and post.capsule not in self.campaign.capsules:
            known = ", ".join(self.campaign.capsules) or _("none declared under capsules:")
            self.add(
                (*path, "capsule"),
                _("post '{id}': unknown capsule '{capsule}' (known: {known})").format(id=post.id, capsule=post.capsule, known=known),
                REFERENCE,
            )
        for network in sorted(networks):
            why = self.networks[network].video_required
            if why and post.capsule is None:
                account = next(
                    name for name in known_accounts if self.campaign.accounts[name].network == network
                )
                self.add(
                    (*path, "accounts", post.accounts.index(account)),
                    _(
                        "post '{post}': {why}, not text: add a capsule to this post or remove account '{account}'"
                    ).format(post=post.id, why=_(why), account=account),
                    REFERENCE,
                )
        for network in post.variants or {}:
            if network not in self.networks:
                self.add(
                    (*path, "variants", network),
                    _("post '{post}': unknown network '{network}' in variants: expected {known}").format(
                        post=post.id, network=network, known=one_of(list(self.networks), quote=True)
                    ),
                    STRUCTURE,
                    key=True,
                )
            elif network not in networks:
                self.add(
                    (*path, "variants", network),
                    _("post '{id}': variant for {network} but none of its accounts is on {network}").format(id=post.id, network=network),
                    REFERENCE,
                    key=True,
                )
        self.check_post_choices(path, post, known_accounts, networks)
        if self.campaign.approval.two_person and not (post.author or self.campaign.campaign.author):
            self.add(
                path,
                _("post '{id}': two-person approval needs an author: add 'author:' to the post or to the campaign section").format(id=post.id),
                REFERENCE,
            )
        if post.at is not None:
            self.check_time((*path, "at"), post, territories)
        self.check_texts(path, post, known_accounts)

    def check_choice(self, path: Path_, choice: ChoiceRules, value: object, rules: NetworkRules) -> None:
        """One value of a choice a network requires (``path`` points at it)."""
        if choice.boolean:
            if not isinstance(value, bool):
                self.add(
                    path,
                    _("{where} must be true or false, not {value}").format(where=_dotted(path), value=repr(value)),
                    STRUCTURE,
                )
            return
        if not isinstance(value, str) or (choice.options and value not in choice.options):
            self.add(
                path,
                _("{where} is {value}, {network} takes {known}").format(
                    where=_dotted(path),
                    value=repr(value),
                    network=rules.label,
                    known=one_of(list(choice.options), quote=True),
                ),
                STRUCTURE,
            )

    def check_choice_allowed(
        self,
        path: Path_,
        post: PostSpec,
        name: str,
        account: AccountSpec,
        choice: ChoiceRules,
        made: object,
        rules: NetworkRules,
        reported: set[tuple[str, str]],
    ) -> None:
        """An option that needs a setting of the account (YouTube's public video needs an audited project)."""
        for option, setting in getattr(choice, "requires", ()):
            if made != option or account.network_settings().get(setting) is True:
                continue
            key = (f"{name}:{path}", choice.name)
            if key in reported:
                return
            reported.add(key)
            self.add(
                path,
                _(
                    "post '{post}' on {network}: {choice} {option} needs {setting}: true on account '{account}' "
                    "({why}): set it once that is so, or choose another {choice}"
                ).format(
                    post=post.id,
                    network=rules.label,
                    choice=choice.name,
                    option=repr(option),
                    setting=setting,
                    account=name,
                    why=_(choice.requires_why) if getattr(choice, "requires_why", "") else setting,
                ),
                REFERENCE,
            )

    def check_post_choices(
        self, path: Path_, post: PostSpec, accounts: list[str], networks: set[str]
    ) -> None:
        """Every choice the post's networks require is made, for the post or once for the account."""
        given = post.choices or {}
        for network, values in given.items():
            where: Path_ = (*path, "choices", network)
            rules = self.networks.get(network)
            if rules is None:
                self.add(
                    where,
                    _("post '{post}': unknown network '{network}' in choices: expected {known}").format(
                        post=post.id, network=network, known=one_of(list(self.networks), quote=True)
                    ),
                    STRUCTURE,
                    key=True,
                )
                continue
            if network not in networks:
                self.add(
                    where,
                    _("post '{post}': choices for {network} but none of its accounts is on {network}").format(
                        post=post.id, network=network
                    ),
                    REFERENCE,
                    key=True,
                )
            choices = {choice.name: choice for choice in rules.choices}
            for key, value in values.items():
                if key in choices:
                    self.check_choice((*where, key), choices[key], value, rules)
                else:
                    self.add(
                        (*where, key),
                        _("unknown choice '{key}' for {network}: expected {known}").format(
                            key=key,
                            network=rules.label,
                            known=one_of(list(choices)) or _("none (it takes no choices)"),
                        ),
                        STRUCTURE,
                        key=True,
                    )
        reported: set[tuple[str, str]] = set()
        for name in accounts:
            account = self.campaign.accounts[name]
            rules = self.networks[account.network]
            for choice in rules.choices:
                made = given.get(account.network, {}).get(choice.name)
                at: Path_ = (*path, "choices", account.network, choice.name)
                if made is None:
                    made = account.network_settings().get(choice.name)
                    at = ("accounts", name, choice.name)
                if made is not None:
                    self.check_choice_allowed(at, post, name, account, choice, made, rules, reported)
                if made is not None or (account.network, choice.name) in reported:
                    continue
                reported.add((account.network, choice.name))
                options = _("true or false") if choice.boolean else one_of(list(choice.options), quote=True)
                self.add(
                    (*path, "accounts", post.accounts.index(name)),
                    _(
                        "post '{post}' on {network}: choose {choice} ({options}): add "
                        "'choices: {{{name}: {{{choice}: …}}}}' to the post, or '{choice}: …' to account '{account}'"
                    ).format(
                        post=post.id,
                        network=rules.label,
                        choice=choice.name,
                        options=options,
                        name=account.network,
                        account=name,
                    ),
                    REFERENCE,
                )

    def check_time(self, path: Path_, post: PostSpec, territories: list[str]) -> None:
        assert post.at is not None
        try:
            wall = parse_local(post.at)
        except ValueError as error:
            self.add(path, _("post '{id}': {error}").format(id=post.id, error=error), TIME)
            return
        for key in territories:
            if key not in self.valid_zones:
                continue
            zone = self.campaign.territories[key].timezone
            kind, instant = self._placed(wall, zone)
            if kind is LocalTimeKind.NONEXISTENT:
                start, end = transition_window(wall, zone)
                self.add(
                    path,
                    _("post '{id}': {wall:%Y-%m-%d %H:%M} does not exist in {zone} (clocks jump from {start:%H:%M} to {end:%H:%M}): choose a time outside that hour").format(id=post.id, wall=wall, zone=zone, start=start, end=end),
                    TIME,
                )
            elif kind is LocalTimeKind.AMBIGUOUS:
                start, end = transition_window(wall, zone)
                self.add(
                    path,
                    _("post '{id}': {wall:%Y-%m-%d %H:%M} happens twice in {zone} (clocks go back from {end:%H:%M} to {start:%H:%M}): choose a time outside that hour").format(id=post.id, wall=wall, zone=zone, end=end, start=start),
                    TIME,
                )
            elif instant is not None and instant <= self.now:
                self.add(
                    path,
                    _("post '{id}': {instant} is in the past: choose a later time or remove 'at' to use the next free slot").format(id=post.id, instant=format_local(instant, zone)),
                    TIME,
                )

    def _placed(self, wall: datetime, zone: str) -> tuple[LocalTimeKind, datetime | None]:
        """What DST makes of ``wall`` in ``zone``, and its instant when it has one (posts share times)."""
        key = (wall, zone)
        if key not in self._times:
            local = classify(wall, zone)
            self._times[key] = (local.kind, local.candidates_utc()[0] if local.kind is LocalTimeKind.NORMAL else None)
        return self._times[key]

    def check_texts(self, path: Path_, post: PostSpec, accounts: list[str]) -> None:
        link = sample_link(self.campaign)
        reported: set[tuple[str, int]] = set()
        for name in accounts:
            network = self.campaign.accounts[name].network
            rules = self.account_rules(name)
            template = variant_template(post, network)
            text_path: Path_ = (
                (*path, "variants", network, "text")
                if post.variants and network in post.variants
                else (*path, "text")
            )
            if post.link is False and LINK_PLACEHOLDER in template:
                self.add(text_path, _("post '{id}': text has {link_placeholder} but link is false").format(id=post.id, link_placeholder=LINK_PLACEHOLDER), TEXT)
            wants = post_wants_link(post, template)
            in_text = link_in_text(self.campaign.accounts[name].network_settings())
            if wants and not in_text and post.capsule is None:
                self.add(
                    (*path, "accounts"),
                    _(
                        "post '{post}' on {account}: the account is set to 'link: none' (the link left out of "
                        "the text) and the post has no capsule whose end card and QR code carry it: give the "
                        "post a capsule, or set the account to 'link: text'"
                    ).format(post=post.id, account=name),
                    TEXT,
                )
            text = render_text(template, link if wants and in_text else None, append_link=True)
            length: TextLength = rules.measure_text(text)
            self.report.variants.append(
                VariantReport(post.id, name, network, length.length, length.limit, length.ok)
            )
            if not length.ok and (network, length.limit) not in reported:
                reported.add((network, length.limit))  # once per limit (instances have their own)
                self.add(text_path, _("post '{id}' on {network}: {reason}").format(id=post.id, network=network, reason=length.reason), TEXT)


__all__ = ["CheckReport", "VariantReport", "check_file", "target_problems"]
