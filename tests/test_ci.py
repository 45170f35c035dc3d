"""CI runs the README's first command in a fresh clone and a bare venv: a runtime import of a
test-only library cannot land again (it did: `clickable demo` imported httpx, a test extra).

The check is `.ci/first-command`, the same script `.ci/run` calls; here it runs on a throwaway
package whose runtime code imports one of clickable's test-only libraries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_COMMAND = ROOT / ".ci" / "first-command"

sys.path.insert(0, str(ROOT / ".ci"))
from readme_command import readme_command  # noqa: E402

sys.path.pop(0)


def _test_only_module() -> str:
    """httpx: a library clickable's tests install and its runtime must not import (it broke the demo)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {requirement.split(">")[0].split("[")[0].lower() for requirement in requirements}

    assert "httpx" in names(project["optional-dependencies"]["test"]) - names(project["dependencies"])
    return "httpx"


def _throwaway(folder: Path, imported: str) -> Path:
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "throwaway"\nversion = "0"\ndependencies = []\n'
        '[project.scripts]\nthrowaway = "throwaway:main"\n[tool.setuptools]\npy-modules = ["throwaway"]\n',
        "utf-8",
    )
    (folder / "README.md").write_text(
        "# throwaway\n\n```sh\npip install -e . && throwaway\n```\n\n```sh\npytest\n```\n", "utf-8"
    )
    (folder / "throwaway.py").write_text(
        f"def main() -> None:\n    import {imported}  # noqa: F401\n    print('demo finished')\n", "utf-8"
    )
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "throwaway"], cwd=folder, check=True)
    return folder


def _run_first_command(repository: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLICKABLE_CI_PYTHON": sys.executable}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(FIRST_COMMAND), str(repository)], capture_output=True, text=True, env=env, check=False, timeout=600
    )


def test_first_command_check_fails_on_a_runtime_import_of_a_test_only_library(tmp_path: Path) -> None:
    module = _test_only_module()
    broken = _run_first_command(_throwaway(tmp_path / "broken", module))
    assert broken.returncode != 0, broken.stdout
    assert f"No module named '{module}'" in broken.stderr
    fine = _run_first_command(_throwaway(tmp_path / "fine", "json"))
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "demo finished" in fine.stdout


def test_ci_runs_the_readme_commands_as_written() -> None:
    run = (ROOT / ".ci" / "run").read_text("utf-8")
    assert ".ci/first-command" in run and "readme_command.py test README.md" in run
    readme = ROOT / "README.md"
    assert readme_command(readme, "first") == "python -m pip install -U pip && pip install --no-compile -e . && clickable demo"
    assert readme_command(readme, "test").startswith("pip install -e '.[test]' && ")
