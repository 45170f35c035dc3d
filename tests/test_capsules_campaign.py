"""A capsule in its campaign: territories' languages (checked with langcodes), the renders the
posts need (format × burned-in language, never more), and what the campaign asks that the script
cannot give, as FILE:LINE errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

CAMPAIGN = """\
campaign: {id: langues, name: Langues, language: fr}
territories:
  fr: {name: France, timezone: Europe/Paris, languages: [fr]}
  re: {name: La Réunion, timezone: Indian/Reunion, languages: [rcf, fr]}
  yt: {name: Mayotte, timezone: Indian/Mayotte, languages: [swb, fr]}
  nc: {name: Nouvelle-Calédonie, timezone: Pacific/Noumea}
accounts:
  fb: {network: facebook, sandbox: true}
  x: {network: x, sandbox: true}
  ig: {network: instagram, sandbox: true, territories: [fr]}
capsules:
  clip: {script: capsules/clip.yaml}
landing:
  base_url: https://signaler.example.org
  channels:
    tel-119: {name: "119", phone: "119"}
posts:
  - id: p1
    text: "Tu peux en parler {link}"
    accounts: [fb, ig]
    capsule: clip
    territories: [fr, re, yt, nc]
"""

CLIP = """\
capsule: {id: clip, title: Clip, formats: [vertical, square]}
scenes:
  - {duration: 4, background: {color: "#204060"}}
cues:
  - start: 0.5
    end: 3.0
    text: {fr: "Tu peux en parler.", rcf: "Ou pé koz."}
"""


def workspace(tmp_path: Path, campaign: str = CAMPAIGN, clip: str = CLIP) -> Path:
    (tmp_path / "capsules").mkdir()
    (tmp_path / "campaign.yaml").write_text(campaign, "utf-8")
    (tmp_path / "capsules" / "clip.yaml").write_text(clip, "utf-8")
    return tmp_path / "capsules" / "clip.yaml"


def check(script: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["capsule", "check", str(script), "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_the_renders_are_the_formats_and_languages_the_posts_need(tmp_path: Path) -> None:
    code, data = check(workspace(tmp_path))
    assert code == 0, data
    assert data["campaign_key"] == "clip" and data["languages"] == ["fr", "rcf"]
    # fr, nc (no languages: the campaign's, fr) and yt (swb, fr: the capsule has no swb) get French,
    # re gets Réunion Creole; square is listed by the script, no post uses it: once, in French
    assert data["renders"] == [
        {"format": "vertical", "language": "fr"},
        {"format": "vertical", "language": "rcf"},
        {"format": "square", "language": "fr"},
    ]


def test_outside_its_campaign_a_script_renders_its_formats_in_its_first_language(tmp_path: Path) -> None:
    script = tmp_path / "clip.yaml"
    script.write_text(CLIP, "utf-8")
    code, data = check(script)
    assert code == 0 and data["campaign_key"] is None
    assert data["renders"] == [
        {"format": "vertical", "language": "fr"},
        {"format": "square", "language": "fr"},
    ]


def test_a_format_a_post_needs_that_the_script_lacks(tmp_path: Path) -> None:
    script = workspace(tmp_path, clip=CLIP.replace("[vertical, square]", "[x]"))
    code, data = check(script)
    assert code == 1
    messages = {(error["file"], error["line"], error["message"]) for error in data["errors"]}
    taken = "vertical, square, landscape"  # the Facebook and Instagram specs' formats, preferred first
    assert messages == {
        (
            str(script),
            1,
            f"post 'p1' goes out on {account} ({network}), which takes the {taken} formats: add vertical to capsule.formats",
        )
        for account, network in (("fb", "facebook"), ("ig", "instagram"))
    }


def test_a_territory_none_of_whose_languages_the_capsule_has(tmp_path: Path) -> None:
    campaign = CAMPAIGN.replace("languages: [swb, fr]}", "languages: [swb]}")
    code, data = check(workspace(tmp_path, campaign=campaign))
    assert code == 1
    [error] = data["errors"]
    assert error["file"] == str(tmp_path / "campaign.yaml")
    assert error["line"] == campaign[: campaign.index("capsule: clip")].count("\n") + 1
    assert error["message"] == (
        "post 'p1' sends capsule 'clip' to yt (swb), but the capsule is written in fr, rcf only: "
        "translate it or leave yt out"
    )


@pytest.mark.parametrize(
    ("old", "new", "fragment", "marker"),
    [
        (
            "languages: [rcf, fr]",
            "languages: [creole, fr]",
            "'creole' is not a language tag (BCP 47)",
            "creole",
        ),
        ("languages: [rcf, fr]", "languages: [fra]", "write the language tag 'fra' as 'fr' (French)", "fra]"),
        ("languages: [rcf, fr]", "languages: [rcf, rcf]", "language 'rcf' is listed twice", "rcf, rcf"),
        ("languages: [rcf, fr]", "languages: []", "is an empty list: name at least one language", "[]"),
        ("language: fr}", "language: french}", "'french' is not a language tag", "french"),
    ],
)
def test_territory_languages_are_checked_with_langcodes(
    tmp_path: Path, old: str, new: str, fragment: str, marker: str
) -> None:
    campaign = CAMPAIGN.replace(old, new, 1)
    workspace(tmp_path, campaign=campaign)
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "campaign", "check"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() + result.stdout.splitlines() if fragment in line]
    assert lines, result.output
    assert f"campaign.yaml:{campaign[: campaign.index(marker)].count(chr(10)) + 1}:" in lines[0]


def test_format_and_language_options_narrow_or_widen_the_renders() -> None:
    from capsules.cli import CapsuleScriptError, _chosen
    from capsules.selection import RenderKey

    needed = [RenderKey("vertical", "fr"), RenderKey("vertical", "rcf"), RenderKey("square", "fr")]
    formats, languages = ["vertical", "square", "x"], ["fr", "rcf", "swb"]
    assert _chosen(needed, None, None, formats, languages) == needed
    assert _chosen(needed, ["square"], None, formats, languages) == [RenderKey("square", "fr")]
    assert _chosen(needed, ["x"], None, formats, languages) == [RenderKey("x", "fr")]
    assert _chosen(needed, None, ["swb"], formats, languages) == [
        RenderKey("vertical", "swb"),
        RenderKey("square", "swb"),
    ]
    assert _chosen(needed, ["x"], ["all"], formats, languages) == [RenderKey("x", tag) for tag in languages]
    with pytest.raises(CapsuleScriptError, match="unknown language 'gcf': this script's are fr, rcf, swb"):
        _chosen(needed, None, ["gcf"], formats, languages)
    with pytest.raises(CapsuleScriptError, match="unknown format 'tiktok'"):
        _chosen(needed, ["tiktok"], None, formats, languages)
