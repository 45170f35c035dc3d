"""`clickable init`: the French example campaign, copied from the installed templates."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from campaign.errors import ClickableError, WorkspaceExists
from campaign.i18n import _
from campaign.settings import CAMPAIGN_FILE_NAME
from campaign.vcs import GITIGNORE, gitignore_text

TEMPLATE_SUFFIX = ".j2"


def example_root() -> Traversable:
    return resources.files("templates") / "example"


def _walk(folder: Traversable, prefix: Path = Path()) -> list[tuple[Path, Traversable]]:
    files = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir():
            files.extend(_walk(entry, prefix / entry.name))
        else:
            files.append((prefix / entry.name, entry))
    return files


def write_example(target: Path, *, today: date) -> list[Path]:
    """Write the example campaign into ``target``; dates are relative to ``today``."""
    if (target / CAMPAIGN_FILE_NAME).exists():
        raise WorkspaceExists(str(target))
    if target.exists() and not target.is_dir():
        raise ClickableError(_("{target} is a file, not a folder: choose a folder name for the campaign").format(target=target))
    environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    values = {"year": today.year, "day": lambda days: (today + timedelta(days=days)).isoformat()}
    files = _walk(example_root())
    # write everything next to the target first, then move it in: a failure leaves nothing behind
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(dir=target, prefix=".init-") as staging:
        for relative, entry in files:
            name = relative.with_suffix("") if relative.suffix == TEMPLATE_SUFFIX else relative
            destination = Path(staging) / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if relative.suffix == TEMPLATE_SUFFIX:
                destination.write_text(
                    environment.from_string(entry.read_text("utf-8")).render(values), "utf-8"
                )
            else:
                destination.write_bytes(entry.read_bytes())
            written.append(name)
        for name in written:
            final = target / name
            if final.exists():
                raise ClickableError(_("{final} already exists: choose an empty folder for `clickable init`").format(final=final))
        ignore = _gitignore(target / GITIGNORE, Path(staging) / GITIGNORE)
        for name in written:
            final = target / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(staging) / name, final)
        os.replace(ignore, target / GITIGNORE)
    return [target / name for name in [*written, Path(GITIGNORE)]]


def _gitignore(existing: Path, staged: Path) -> Path:
    """The folder's .gitignore with clickable's patterns: written new, or the missing ones appended."""
    if existing.exists() and not existing.is_file():
        raise ClickableError(_("{path} is not a file: remove it, then run `clickable init` again").format(path=existing))
    if existing.is_file():
        before = existing.read_text("utf-8", errors="replace")
        present = {line.strip() for line in before.splitlines()}
        missing = [line for line in gitignore_text().splitlines() if line.startswith("#") or line not in present]
        if all(line.startswith("#") for line in missing):
            text = before
        else:
            text = before + ("" if before.endswith("\n") or not before else "\n") + "\n".join(missing) + "\n"
    else:
        text = gitignore_text()
    staged.write_text(text, "utf-8")
    return staged
