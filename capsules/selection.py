"""Which renders a capsule needs: one per (format × burned-in language) that its posts use, no more.

A post goes out on accounts (a network → the first format its spec prefers that the script lists)
in territories (the first of the territory's `languages:` that the capsule is written in is burned
in; the campaign's language when the territory lists none). Formats the script lists that no post uses are rendered
once, in the capsule's first language. Outside a campaign, every format of the script is rendered
in the capsule's first language.

The selection also says which networks receive each format (``Selection.receivers``): their safe
zones and video lengths apply to it. Outside a campaign, a format goes to every registered network
that would send it (the first of its formats that the script lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from campaign.checks import REFERENCE, account_territories, post_territories
from campaign.errors import Problem
from campaign.i18n import _
from campaign.languages import burned_in
from campaign.settings import CAMPAIGN_FILE_NAME

if TYPE_CHECKING:
    from campaign.checks import CheckReport
    from campaign.schema import CampaignFile
    from campaign.yamlsource import YamlSource
    from capsules.rules import CampaignNetworks, CapsuleNetworks
    from capsules.script import LoadedScript

FROM_SCRIPT = "listed in capsule.formats"  # why a render no post needs is made


@dataclass(frozen=True, order=True)
class RenderKey:
    """One video to render: a format with one language burned in."""

    format: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.format}.{self.language}"


@dataclass
class CampaignContext:
    """The campaign a capsule script belongs to: its checked file and the capsule's key there."""

    file: Path
    campaign: CampaignFile
    source: YamlSource
    key: str
    networks: CapsuleNetworks  # the registered networks, as the CLI passes them

    @classmethod
    def of(cls, file: Path, report: CheckReport, key: str, networks: CapsuleNetworks) -> CampaignContext:
        """The context of capsule ``key`` in a checked campaign file."""
        assert report.campaign is not None
        return cls(file, report.campaign, report.source, key, networks)


@dataclass
class Selection:
    renders: list[RenderKey]
    needed_by: dict[RenderKey, list[str]] = field(default_factory=dict)  # "post p02 on <account> in re"
    problems: list[Problem] = field(default_factory=list)
    receivers: dict[str, list[str]] = field(default_factory=dict)  # format -> networks it goes to

    def for_posts(self) -> list[RenderKey]:
        """The renders some post sends (not those made only because the script lists a format)."""
        return [key for key in self.renders if self.needed_by.get(key) != [_(FROM_SCRIPT)]]


def find_campaign(
    script: Path, networks: CampaignNetworks, home: Path | None = None
) -> CampaignContext | None:
    """The campaign that declares ``script`` under `capsules:` (CLICKABLE_HOME's, else the nearest
    campaign.yaml above the script), checked against ``networks``; None when there is none or its
    structure is invalid."""
    from campaign.checks import check_file

    target = script.resolve()
    folders = [home.expanduser().resolve()] if home is not None else list(target.parents)
    for folder in folders:
        file = folder / CAMPAIGN_FILE_NAME
        if not file.is_file():
            continue
        report = check_file(file, networks=networks)
        if report.campaign is None:
            return None
        for key, spec in report.campaign.capsules.items():
            if (file.parent / spec.script).resolve() == target:
                return CampaignContext.of(file, report, key, networks)
        return None
    return None


def select_renders(
    loaded: LoadedScript, context: CampaignContext | None, networks: CapsuleNetworks
) -> Selection:
    script = loaded.script
    assert script is not None
    formats = list(script.capsule.formats)
    if context is None:
        selection = Selection([RenderKey(name, loaded.default_language) for name in formats])
        for name, network in networks.items():
            sent = next((item for item in network.media.formats if item in formats), None)
            if sent is not None:
                selection.receivers.setdefault(sent, []).append(name)
        return selection
    campaign = context.campaign
    selection = Selection([])
    needed: dict[RenderKey, list[str]] = {}
    used_formats: set[str] = set()
    for index, post in enumerate(campaign.posts):
        if post.capsule != context.key:
            continue
        where = context.source.position(("posts", index, "capsule"))
        for account in post.accounts:
            spec = campaign.accounts.get(account)
            if spec is None:
                continue  # campaign check reports it
            receiver = context.networks.get(spec.network)
            taken = tuple(receiver.media.formats) if receiver is not None else ()
            if not taken:
                continue  # a network that takes no capsule: campaign check says so
            format_name = next((name for name in taken if name in formats), None)
            if format_name is None:
                selection.problems.append(
                    loaded.problem(
                        ("capsule", "formats"),
                        _(
                            "post '{post}' goes out on {account} ({network}), which takes the {taken} formats: add {first} to capsule.formats"
                        ).format(
                            post=post.id,
                            account=account,
                            network=spec.network,
                            taken=", ".join(taken),
                            first=taken[0],
                        ),
                        REFERENCE,
                    )
                )
                continue
            used_formats.add(format_name)
            receivers = selection.receivers.setdefault(format_name, [])
            if spec.network not in receivers:
                receivers.append(spec.network)
            for territory in account_territories(campaign, account, post_territories(campaign, post)):
                territory_spec = campaign.territories.get(territory)
                if territory_spec is None:
                    continue
                language = burned_in(territory_spec.languages, campaign.campaign.language, loaded.languages)
                if language is None:
                    wanted = territory_spec.languages or [campaign.campaign.language]
                    selection.problems.append(
                        Problem(
                            REFERENCE,
                            str(context.file),
                            where.line,
                            where.column,
                            _(
                                "post '{post}' sends capsule '{capsule}' to {territory} ({languages}), but the capsule is written in {available} only: translate it or leave {territory} out"
                            ).format(
                                post=post.id,
                                capsule=context.key,
                                territory=territory,
                                languages=", ".join(wanted),
                                available=", ".join(loaded.languages),
                            ),
                        )
                    )
                    continue
                key = RenderKey(format_name, language)
                needed.setdefault(key, []).append(
                    _("post {post} on {account} in {territory}").format(
                        post=post.id, account=account, territory=territory
                    )
                )
    for name in formats:
        if name not in used_formats:
            needed.setdefault(RenderKey(name, loaded.default_language), []).append(_(FROM_SCRIPT))
    order: dict[str, int] = {name: position for position, name in enumerate(formats)}
    languages = {tag: position for position, tag in enumerate(loaded.languages)}
    selection.renders = sorted(
        needed, key=lambda item: (order[item.format], languages.get(item.language, 99))
    )
    selection.needed_by = needed
    return selection
