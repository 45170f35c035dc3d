"""A built wheel carries the templates and migrations: `clickable init` works from anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from .census import census_environment

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_runs_init_check_and_load_outside_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("clickable-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "templates/example/campaign.yaml.j2" in names
    assert "templates/example/capsules/signaler.yaml" in names
    assert "campaign/migrations/script.py.mako" in names
    assert any(name.startswith("campaign/migrations/versions/0001") for name in names)
    assert "cli.py" in names
    # Meta's node specs the emulator judges Graph requests with, and their licence (networks/graph/specs/)
    specs = {"Page.json", "IGMedia.json", "enum_types.json", "supplement.json", "LICENSE", "SOURCE.md"}
    assert {f"networks/graph/specs/{name}" for name in specs} <= set(names)
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import campaign; "
        "assert campaign.__file__.startswith(sys.argv[1]), campaign.__file__; "
        "from cli import main; sys.argv = ['clickable', *sys.argv[2:]]; main()"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()

    def clickable(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, str(unpacked), *args],
            cwd=work,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "CLICKABLE_HOME": str(work / "c2026")},
            check=False,
        )

    assert clickable("init", "c2026").returncode == 0
    checked = clickable("campaign", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    loaded = clickable("campaign", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert (work / "c2026" / "clickable.db").is_file()


def test_wheel_in_a_new_venv_runs_the_demo_to_the_end(tmp_path: Path) -> None:
    """The built wheel, installed with its dependencies (no extras) into a new venv outside the tree."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("clickable-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], capture_output=True, text=True, check=False
    )
    assert installed.returncode == 0, installed.stderr
    checked = subprocess.run([str(venv / "bin" / "pip"), "check"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout
    work = tmp_path / "elsewhere"
    work.mkdir()
    demo = subprocess.run(
        [str(venv / "bin" / "clickable"), "demo"],
        cwd=work,
        capture_output=True,
        text=True,
        # a fresh machine with a French locale: the demo speaks French throughout
        env={
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "CLICKABLE_KEYRING": "0",
            "LANG": "fr_FR.UTF-8",
            **census_environment(),  # the demo's requests join the suite's census (tests/census.py)
        },
        check=False,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "Traceback" not in demo.stderr
    assert "Démonstration terminée" in demo.stdout and "Visites de la page de signalement" in demo.stdout
    from .test_i18n_french import english_left

    assert english_left(demo.stdout + demo.stderr) == []
    assert (work / "clickable-demo" / "report.html").stat().st_size > 10_000
    # the package came from the venv, not from the source tree
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import campaign; print(campaign.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout
