"""Git and the campaign folder: what must never be committed, asked of git itself.

A campaign folder is often put under git to share the campaign file. The credentials file, the
database, renders and partial files must stay out of it: `clickable init` writes a .gitignore,
and credentials are not stored in a file that git already tracks. Without git on the machine
there is nothing to ask and nothing is refused.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from campaign.i18n import _

GITIGNORE = ".gitignore"
# What clickable writes in a campaign folder that is not the campaign itself.
IGNORED = (
    ("# secrets: credentials of the publishing accounts", ".clickable-credentials.json"),
    ("# written while credentials are saved", ".credentials-*"),
    ("# the database (SQLite) and its journal", "clickable.db"),
    (None, "clickable.db-*"),
    ("# renders, reports and exports", "out/"),
    (None, "report.html"),
    (None, "stats.csv"),
    (None, "plan.ics"),
    ("# partial files of an interrupted render, init or write", "*.partial"),
    (None, "*.partial.*"),
    (None, ".poster-*"),
    (None, ".audio-*/"),
    (None, ".init-*/"),
)
GIT_TIMEOUT_S = 10
# Settings of the repository's own config that would make `git ls-files` run a program.
SAFE_GIT = ("-c", "core.fsmonitor=false")


def gitignore_text() -> str:
    """The .gitignore written by `clickable init` (comments in English, like the code)."""
    lines = ["# Written by `clickable init`: what must never be committed with the campaign."]
    for comment, pattern in IGNORED:
        if comment:
            lines.append(comment)
        lines.append(pattern)
    return "\n".join(lines) + "\n"


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run git in ``folder``; None when git is not installed or does not answer."""
    executable = shutil.which("git")
    if executable is None:
        return None
    try:
        return subprocess.run(
            [executable, *SAFE_GIT, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def tracked_by_git(path: Path) -> bool:
    """Whether the git repository ``path`` is in tracks it (its index holds it)."""
    result = _git(path.parent, "ls-files", "--error-unmatch", "--", path.name)
    return result is not None and result.returncode == 0


def exposed_to_git(path: Path) -> bool:
    """Whether ``path`` lies in a git work tree that does not ignore it (`git add -A` would stage it)."""
    inside = _git(path.parent, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != "true":
        return False
    ignored = _git(path.parent, "check-ignore", "-q", "--", path.name)
    return ignored is not None and ignored.returncode == 1


def tracked_message(path: Path) -> str:
    return _(
        "{path} is tracked by git, so the credentials would be committed: run `git rm --cached {name}`, "
        "add it to .gitignore, and change the tokens already committed; nothing was stored"
    ).format(path=path, name=path.name)
