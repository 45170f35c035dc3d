"""Domain errors. Each one owns its message, and the message says what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from campaign.i18n import _, ngettext


class ClickableError(Exception):
    """An error caused by the user's input or environment: shown as one line, exit code 1."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a file, with its position (1-based line and column)."""

    priority: int
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class CampaignFileError(ClickableError, ValueError):
    """The campaign file is invalid; carries every problem found, most useful first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems)
        first = self.problems[0] if self.problems else None
        more = len(self.problems) - 1
        text = str(first) if first else _("invalid campaign file")
        if more > 0:
            text += ngettext(
                " (and {count} more problem: run `clickable campaign check`)",
                " (and {count} more problems: run `clickable campaign check`)",
                more,
            ).format(count=more)
        super().__init__(text)


class CampaignNotFound(ClickableError, LookupError):
    def __init__(self, where: str) -> None:
        super().__init__(
            _("no campaign.yaml in {where}: run `clickable init DIR` to create one, or pass --home / set CLICKABLE_HOME to the folder that holds it").format(where=where)
        )


class CampaignNotLoaded(ClickableError, LookupError):
    def __init__(self) -> None:
        super().__init__(_("no campaign in the database yet: run `clickable campaign load` first"))


class PostNotFound(ClickableError, LookupError):
    def __init__(self, post_id: str, known: Sequence[str]) -> None:
        hint = _(" (known posts: {known})").format(known=', '.join(known[:10]) + ('…' if len(known) > 10 else '')) if known else ""
        super().__init__(_("no post '{post_id}' in the loaded campaign{hint}: check `clickable post list`").format(post_id=post_id, hint=hint))


class ApprovalRefused(ClickableError, PermissionError):
    pass


class PreviewOutdated(ApprovalRefused):
    """The approver would approve something other than what they looked at."""

    def __init__(self, post_id: str, previewed_at: datetime) -> None:
        super().__init__(
            _(
                "post '{post}' changed since its preview of {when} UTC: run `clickable post preview {post}`, "
                "look at it again, then approve"
            ).format(post=post_id, when=f"{previewed_at:%Y-%m-%d %H:%M}")
        )


class PublishedPostChanged(ClickableError, ValueError):
    def __init__(self, file: str, line: int, post_id: str) -> None:
        super().__init__(
            _("{file}:{line}:1: post '{post_id}' is already published and its text cannot change; restore its text and create a new post with a new id instead").format(file=file, line=line, post_id=post_id)
        )


class WorkspaceExists(ClickableError, FileExistsError):
    def __init__(self, path: str) -> None:
        super().__init__(
            _("{path} already holds a campaign.yaml: choose another folder, or remove that file first").format(path=path)
        )


class DatabaseError(ClickableError, RuntimeError):
    pass


class CannotListen(ClickableError):
    """A server command could not bind its address (port in use, address not on this machine)."""

    def __init__(self, host: str, port: int, reason: str, options: str = "--port") -> None:
        super().__init__(_("cannot listen on {host}:{port} ({reason}): choose another {options}").format(host=host, port=port, reason=reason, options=options))
