"""Commands of the capsules room: `clickable capsule check` and `clickable capsule render`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from campaign.context import command_group, echo, print_json, state
from campaign.errors import CampaignNotFound, ClickableError
from campaign.i18n import _

if TYPE_CHECKING:
    from capsules.check import ScriptCheck
    from capsules.render import CapsuleRender
    from capsules.rules import CampaignNetworks
    from capsules.selection import CampaignContext, RenderKey

# moviepy, Pillow, numpy and the database are imported inside the commands that use them.

app = command_group("Check and render video capsules.")

ScriptArgument = Annotated[Path, typer.Argument(help="Capsule script (YAML).", show_default=False)]
MaxCps = Annotated[
    float | None,
    typer.Option(
        "--max-cps",
        help="Reading-speed ceiling, characters a second (default: the script's audience: children 13, teens 15, adults 17).",
        show_default=False,
    ),
]


class CapsuleScriptError(ClickableError):
    pass


def _checked(
    ctx: typer.Context, script: Path, max_cps: float | None
) -> tuple[ScriptCheck, CampaignContext | None]:
    from capsules.check import check_script
    from capsules.selection import find_campaign

    app_state = state(ctx)
    # the root cli.py gives AppState networks' registry, whose specs are also capsules' CapsuleNetwork
    networks = cast("CampaignNetworks", app_state.networks)
    context = find_campaign(script, networks, app_state.settings.home)
    return check_script(script, networks, max_cps=max_cps, context=context), context


@app.command("check")
def check_command(
    ctx: typer.Context,
    script: ScriptArgument,
    max_cps: MaxCps = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the problems and renders as JSON.")
    ] = False,
) -> None:
    """Check a capsule script: languages, reading speed for its audience, lines, timing, media,
    sign-language inset, font coverage, and the renders its campaign needs."""
    app_state = state(ctx)
    result, context = _checked(ctx, script, max_cps)
    loaded = result.loaded
    renders = result.selection.renders if result.selection else []
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "errors": [problem.as_dict() for problem in result.problems],
                "languages": loaded.languages,
                "campaign_key": context.key if context else None,
                "renders": [{"format": key.format, "language": key.language} for key in renders],
            }
        )
        if not result.ok:
            raise typer.Exit(1)
        return
    for problem in result.problems:
        echo(f"{problem.file}:{problem.line}: {problem.message}")
    if not result.ok:
        app_state.err_console.print(
            _("{script}: {count} problem(s)").format(script=script, count=len(result.problems))
        )
        raise typer.Exit(1)
    assert loaded.script is not None
    app_state.console.print(
        _("{script}: ok — {cues} cues, {duration:g} s, languages {languages}, audience {audience}").format(
            script=script,
            cues=len(loaded.cues),
            duration=loaded.script.duration,
            languages=", ".join(loaded.languages),
            audience=loaded.script.audience,
        )
    )
    app_state.console.print(
        (_("renders the campaign needs: {renders}") if context else _("renders: {renders}")).format(
            renders=", ".join(key.name for key in renders)
        )
    )


@app.command("render")
def render_command(
    ctx: typer.Context,
    script: ScriptArgument,
    format_: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Format to render (one of the script's formats, or all); repeatable. Default: what the campaign needs.",
        ),
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language",
            help="Language to burn in (one of the script's languages); repeatable. Default: what the campaign needs.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: out/ in the workspace).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the renders and files written as JSON.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Render even when the inputs have not changed.")
    ] = False,
    max_cps: MaxCps = None,
) -> None:
    """Render a capsule: one MP4 per (format × burned-in language) its campaign needs, sidecar
    .srt/.vtt per language and poster.png."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from capsules.render import render_capsule

    app_state = state(ctx)
    result, context = _checked(ctx, script, max_cps)
    if not result.ok:
        first = result.problems[0]
        more = len(result.problems) - 1
        raise CapsuleScriptError(
            f"{first.file}:{first.line}: {first.message}"
            + (_(" (and {count} more: run `clickable capsule check`)").format(count=more) if more else "")
        )
    loaded = result.loaded
    assert loaded.script is not None and result.selection is not None
    renders = _chosen(
        result.selection.renders, format_, language, list(loaded.script.capsule.formats), loaded.languages
    )
    try:
        workspace: Path | None = app_state.settings.workspace()
    except CampaignNotFound:
        workspace = None
    out_root = out if out is not None else (workspace or Path.cwd()) / "out"
    key = context.key if context else loaded.script.capsule.id
    link_url = _end_card_link(
        ctx, loaded.script.end_card.link if loaded.script.end_card else None, key, workspace
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=app_state.err_console,
        disable=as_json,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def progress(name: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()  # only once a video is drawn: a render that stops early prints no empty bar
        if name not in tasks:
            tasks[name] = bar.add_task(
                f"{loaded.script.capsule.id if loaded.script else ''} {name}", total=total
            )
        bar.update(tasks[name], completed=done, total=total)

    try:
        rendered = render_capsule(
            loaded,
            renders,
            presets=result.presets,
            font=result.font,
            out_root=out_root,
            link_url=link_url,
            progress=progress,
            force=force,
        )
    finally:
        if tasks:
            bar.stop()

    recorded = _record(ctx, key, loaded.script.capsule.title, rendered, workspace)
    needed_by = result.selection.needed_by
    if as_json:
        print_json(
            {
                "capsule": rendered.capsule,
                "recorded": recorded,
                "languages": rendered.languages,
                "renders": [
                    {
                        "name": item.key.name,
                        "format": item.format,
                        "language": item.language,
                        "skipped": item.skipped,
                        "hash": item.input_hash,
                        "path": str(item.files[0].path),
                        "needed_by": needed_by.get(item.key, []),
                    }
                    for item in rendered.renders
                ],
                "captions": [
                    {"language": caption.language, **{file.kind: str(file.path) for file in caption.files}}
                    for caption in rendered.captions
                ],
                "alt_text": rendered.alt_text,
                "files": [item.as_dict() for item in rendered.files],
            }
        )
        return
    for item in rendered.renders:
        status = _("unchanged, skipped") if item.skipped else _("rendered")
        app_state.console.print(f"{item.key.name}: {status}")
    for file in rendered.files:
        duration = f", {file.duration:.2f} s" if file.duration else ""
        app_state.console.print(f"  {file.path} ({file.size / 1e6:.2f} MB{duration})")
    if not recorded:
        app_state.console.print(
            _("Not recorded in the database: load a campaign that declares this capsule under capsules:.")
        )


def _chosen(
    needed: list[RenderKey],
    formats: list[str] | None,
    languages: list[str] | None,
    script_formats: list[str],
    script_languages: list[str],
) -> list[RenderKey]:
    """The renders asked for: what the campaign needs, narrowed (or widened) by --format/--language."""
    from capsules.selection import RenderKey

    wanted_formats = _names(formats, script_formats, _("format"), "capsule.formats") if formats else None
    wanted_languages = (
        _names(languages, script_languages, _("language"), "capsule.languages") if languages else None
    )
    if wanted_languages is None:
        chosen = [key for key in needed if wanted_formats is None or key.format in wanted_formats]
        for name in wanted_formats or []:
            if not any(key.format == name for key in chosen):
                chosen.append(RenderKey(name, script_languages[0]))
        return chosen
    shown = wanted_formats or list(dict.fromkeys(key.format for key in needed))
    return [RenderKey(name, tag) for name in shown for tag in wanted_languages]


def _names(requested: list[str], allowed: list[str], kind: str, where: str) -> list[str]:
    names: list[str] = []
    for item in requested:
        for name in item.split(","):
            name = name.strip()
            if name == "all":
                names.extend(allowed)
            elif name in allowed:
                names.append(name)
            else:
                raise CapsuleScriptError(
                    _("unknown {kind} '{name}': this script's are {allowed} (see {where}), or all").format(
                        kind=kind, name=name, allowed=", ".join(allowed), where=where
                    )
                )
    return list(dict.fromkeys(names))


def _end_card_link(ctx: typer.Context, link: str | None, key: str, workspace: Path | None) -> str | None:
    from campaign.store import get_campaign
    from capsules.store import capsule_link

    if link is None or link.startswith("https://"):
        return link
    app_state = state(ctx)
    if workspace is None:
        raise CapsuleScriptError(
            _(
                "end_card.link: landing needs the campaign: run the render inside the campaign folder "
                "(or set CLICKABLE_HOME), or give an https:// address"
            )
        )
    with app_state.database().session() as session:
        campaign = get_campaign(session, None)
        return capsule_link(session, campaign, key, now=app_state.now())


def _record(
    ctx: typer.Context, key: str, title: str, rendered: CapsuleRender, workspace: Path | None
) -> bool:
    from campaign.store import get_campaign
    from capsules.store import record_render

    if workspace is None or not rendered.renders:
        return False
    app_state = state(ctx)
    with app_state.database().session() as session:
        try:
            campaign = get_campaign(session, None)
        except ClickableError:
            return False
        return record_render(
            session,
            campaign,
            key,
            title=title,
            render_hash=rendered.renders[-1].input_hash,
            outputs=rendered.outputs(),
            now=app_state.now(),
        )
