"""Commands of the capsules room: `clickable capsule check` and `clickable capsule render`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from campaign.context import command_group, echo, print_json, state
from campaign.errors import CampaignNotFound, ClickableError
from capsules.presets import DEFAULT_MAX_CPS, FORMAT_NAMES

# moviepy, Pillow, numpy and the database are imported inside the commands that use them.

app = command_group("Check and render video capsules.")

ScriptArgument = Annotated[Path, typer.Argument(help="Capsule script (YAML).", show_default=False)]
MaxCps = Annotated[float, typer.Option("--max-cps", help="Reading-speed limit, characters a second.")]


class CapsuleScriptError(ClickableError):
    pass


@app.command("check")
def check_command(ctx: typer.Context, script: ScriptArgument, max_cps: MaxCps = DEFAULT_MAX_CPS) -> None:
    """Check a capsule script: cue timing, reading speed, lines, media, font coverage."""
    from capsules.check import check_script

    app_state = state(ctx)
    result = check_script(script, max_cps=max_cps)
    for problem in result.problems:
        echo(f"{problem.file}:{problem.line}: {problem.message}")
    if not result.ok:
        app_state.err_console.print(f"{script}: {len(result.problems)} problem(s)")
        raise typer.Exit(1)
    assert result.loaded.script is not None
    app_state.console.print(
        f"{script}: ok — {len(result.loaded.cues)} cues, {result.loaded.script.duration:g} s, "
        f"formats {', '.join(result.loaded.script.capsule.formats)}"
    )


@app.command("render")
def render_command(
    ctx: typer.Context,
    script: ScriptArgument,
    format_: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help=f"Format to render ({', '.join(FORMAT_NAMES)} or all); repeatable. Default: the script's formats.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: out/ in the workspace).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the files written as JSON.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Render even when the inputs have not changed.")
    ] = False,
    max_cps: MaxCps = DEFAULT_MAX_CPS,
) -> None:
    """Render a capsule: one MP4 per format, sidecar .srt/.vtt and poster.png."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from capsules.check import check_script
    from capsules.render import render_capsule

    app_state = state(ctx)
    result = check_script(script, max_cps=max_cps)
    if not result.ok:
        first = result.problems[0]
        more = len(result.problems) - 1
        raise CapsuleScriptError(
            f"{first.file}:{first.line}: {first.message}"
            + (f" (and {more} more: run `clickable capsule check`)" if more else "")
        )
    loaded = result.loaded
    assert loaded.script is not None
    formats = _formats(format_, list(loaded.script.capsule.formats))
    try:
        workspace: Path | None = app_state.settings.workspace()
    except CampaignNotFound:
        workspace = None
    out_root = out if out is not None else (workspace or Path.cwd()) / "out"
    link_url = _end_card_link(
        ctx,
        loaded.script.end_card.link if loaded.script.end_card else None,
        loaded.script.capsule.id,
        workspace,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=app_state.err_console,
        disable=as_json,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(
                    f"{loaded.script.capsule.id if loaded.script else ''} {name}", total=total
                )
            bar.update(tasks[name], completed=done, total=total)

        results = render_capsule(
            loaded,
            formats,
            font=result.font,
            out_root=out_root,
            link_url=link_url,
            progress=progress,
            force=force,
        )

    recorded = _record(ctx, loaded.script.capsule.id, loaded.script.capsule.title, results, workspace)
    files = [item for result_ in results for item in result_.files]
    if as_json:
        print_json(
            {
                "capsule": loaded.script.capsule.id,
                "recorded": recorded,
                "formats": [
                    {"format": item.format, "skipped": item.skipped, "hash": item.input_hash}
                    for item in results
                ],
                "files": [item.as_dict() for item in files],
            }
        )
        return
    for item in results:
        status = "unchanged, skipped" if item.skipped else "rendered"
        app_state.console.print(f"{item.format}: {status}")
    for file in files:
        duration = f", {file.duration:.2f} s" if file.duration else ""
        app_state.console.print(f"  {file.path} ({file.size / 1e6:.2f} MB{duration})")
    if not recorded:
        app_state.console.print(
            "Not recorded in the database: load a campaign that declares this capsule under capsules:."
        )


def _formats(requested: list[str] | None, default: list[str]) -> list[str]:
    if not requested:
        return default
    names: list[str] = []
    for item in requested:
        for name in item.split(","):
            name = name.strip()
            if name == "all":
                names.extend(FORMAT_NAMES)
            elif name in FORMAT_NAMES:
                names.append(name)
            else:
                raise CapsuleScriptError(f"unknown format '{name}': use {', '.join(FORMAT_NAMES)} or all")
    return list(dict.fromkeys(names))


def _end_card_link(ctx: typer.Context, link: str | None, key: str, workspace: Path | None) -> str | None:
    if link is None or link.startswith("https://"):
        return link
    app_state = state(ctx)
    if workspace is None:
        raise CapsuleScriptError(
            "end_card.link: landing needs the campaign: run the render inside the campaign folder "
            "(or set CLICKABLE_HOME), or give an https:// address"
        )
    from campaign.store import get_campaign
    from capsules.store import capsule_link

    with app_state.database().session() as session:
        campaign = get_campaign(session, None)
        return capsule_link(session, campaign, key, now=app_state.now())


def _record(ctx: typer.Context, key: str, title: str, results: list, workspace: Path | None) -> bool:
    if workspace is None:
        return False
    from campaign.store import get_campaign
    from capsules.store import record_render

    app_state = state(ctx)
    outputs: dict[str, object] = {
        item.format: {"hash": item.input_hash, "files": [file.as_dict() for file in item.files]}
        for item in results
    }
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
            render_hash=results[-1].input_hash,
            outputs=outputs,
            now=app_state.now(),
        )
