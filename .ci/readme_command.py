"""Print one of the README's set-up commands exactly as written: `first` (install + demo) or `test`.

They are the first lines of the README's first two ```sh blocks; CI runs what this prints, so the
README and CI cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

WHICH = {"first": 0, "test": 1}


def readme_command(readme: Path, which: str) -> str:
    blocks = re.findall(r"^```sh\n(.*?)^```", readme.read_text("utf-8"), flags=re.MULTILINE | re.DOTALL)
    return blocks[WHICH[which]].strip().splitlines()[0]


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in WHICH:
        sys.exit("usage: readme_command.py first|test README.md")
    print(readme_command(Path(sys.argv[2]), sys.argv[1]))
