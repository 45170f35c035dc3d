"""campaign check asks the networks' specs: their own account settings, required choices, videos, caps.

A made-up network declares what TikTok and YouTube will (a privacy level to choose for every post,
a made-for-kids flag, an account setting); the checks know it only through its spec.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from campaign.checks import check_file
from campaign.rules import one_of
from networks.registry import Registry, registry
from networks.spec import AccountSetting, Choice, NetworkSpec

PRIVACY = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "SELF_ONLY")


def ticktock() -> NetworkSpec:
    return dataclasses.replace(
        registry()["x"],
        name="ticktock",
        label="TickTock",
        caps={"ticktock": 10},
        choices=(
            Choice("privacy_level", options=PRIVACY),
            Choice("made_for_kids", boolean=True),
        ),
        account_settings=(AccountSetting("audited", boolean=True),),
    )


@pytest.fixture
def networks() -> Registry:
    return Registry([*registry().values(), ticktock()])


def campaign(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "campaign": {"id": "rules", "name": "Rules", "language": "fr"},
        "approval": {"required": False},
        "territories": {"fr": {"name": "France", "timezone": "Europe/Paris"}},
        "accounts": {
            "tt-main": {"network": "ticktock", "sandbox": True, "made_for_kids": False},
            "fb-main": {"network": "facebook", "sandbox": True},
        },
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": [
            {
                "id": "p1",
                "text": "Parles-en. {link}",
                "accounts": ["tt-main", "fb-main"],
                "choices": {"ticktock": {"privacy_level": "SELF_ONLY"}},
            }
        ],
    }
    data.update(changes)
    return data


def problems(tmp_path: Path, data: dict[str, object], networks: Registry) -> list[str]:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return [str(problem) for problem in check_file(path, networks=networks).problems]


def test_choices_made_for_the_post_and_once_for_the_account_pass(tmp_path: Path, networks: Registry) -> None:
    assert problems(tmp_path, campaign(), networks) == []


def test_a_required_choice_left_unmade_is_one_error_at_the_account_of_the_post(
    tmp_path: Path, networks: Registry
) -> None:
    data = campaign()
    data["posts"][0].pop("choices")  # type: ignore[index]
    [problem] = problems(tmp_path, data, networks)
    lines = (tmp_path / "campaign.yaml").read_text("utf-8").splitlines()
    line = lines.index("  - tt-main", lines.index("posts:")) + 1  # where the post names the account
    assert problem.startswith(f"{tmp_path / 'campaign.yaml'}:{line}:")
    assert (
        "post 'p1' on TickTock: choose privacy_level ('PUBLIC_TO_EVERYONE', 'FOLLOWER_OF_CREATOR' or 'SELF_ONLY')"
        in problem
    )
    assert "to account 'tt-main'" in problem


def test_a_choice_outside_its_options_is_refused_where_it_is_written(
    tmp_path: Path, networks: Registry
) -> None:
    data = campaign()
    data["posts"][0]["choices"] = {"ticktock": {"privacy_level": "EVERYONE"}}  # type: ignore[index]
    [problem] = problems(tmp_path, data, networks)
    assert (
        "posts[0].choices.ticktock.privacy_level is 'EVERYONE', TickTock takes 'PUBLIC_TO_EVERYONE'"
        in problem
    )


def test_a_boolean_choice_must_be_true_or_false(tmp_path: Path, networks: Registry) -> None:
    data = campaign()
    data["accounts"]["tt-main"]["made_for_kids"] = "no"  # type: ignore[index]
    assert any(
        "accounts.tt-main.made_for_kids must be true or false, not 'no'" in text
        for text in problems(tmp_path, data, networks)
    )


def test_choices_for_a_network_the_post_does_not_use_or_an_unknown_choice(
    tmp_path: Path, networks: Registry
) -> None:
    data = campaign()
    data["posts"][0]["choices"] = {  # type: ignore[index]
        "ticktock": {"privacy_level": "SELF_ONLY", "duet": True},
        "x": {"privacy_level": "SELF_ONLY"},
    }
    found = problems(tmp_path, data, networks)
    assert any(
        "unknown choice 'duet' for TickTock: expected privacy_level or made_for_kids" in text
        for text in found
    )
    assert any("choices for x but none of its accounts is on x" in text for text in found)


def test_an_account_carries_only_its_network_s_settings_and_never_a_secret(
    tmp_path: Path, networks: Registry
) -> None:
    data = campaign()
    data["accounts"]["fb-main"] |= {"page_id": "123", "page_token": "EAAB-secret", "audited": True}  # type: ignore[index,operator]
    data["accounts"]["tt-main"]["audited"] = True  # type: ignore[index]
    found = problems(tmp_path, data, networks)
    assert len(found) == 2, found
    assert any("'page_token' is a secret: never write it in the campaign file" in text for text in found)
    assert any(
        "unknown key 'audited' in accounts.fb-main: expected one of network, sandbox" in text
        for text in found
    )
    assert all("EAAB-secret" not in text for text in found)


def test_a_network_that_publishes_only_videos_asks_for_a_capsule(tmp_path: Path, networks: Registry) -> None:
    data = campaign()
    data["accounts"]["ig-main"] = {"network": "instagram", "sandbox": True}  # type: ignore[index]
    data["posts"][0]["accounts"].append("ig-main")  # type: ignore[index]
    [problem] = problems(tmp_path, data, networks)
    assert (
        "post 'p1': Instagram publishes Reels, not text: add a capsule to this post or remove account 'ig-main'"
        in problem
    )


def test_caps_name_the_caps_the_networks_declare(tmp_path: Path, networks: Registry) -> None:
    data = campaign(schedule={"caps": {"ticktock": 3, "myspace": 3}})  # myspace: a network no package registers
    [problem] = problems(tmp_path, data, networks)
    known = sorted({name for spec in networks.values() for name in spec.caps})  # every cap the specs declare
    assert f"unknown network 'myspace' in caps: use {one_of(known)}" in problem


def test_default_caps_come_from_the_specs_and_the_file_overrides_one_by_one() -> None:
    from campaign.schema import ScheduleSpec
    from schedules.plan import daily_caps

    caps = daily_caps(registry(), ScheduleSpec(caps={"x": 2}))
    declared = {name: limit for spec in registry().values() for name, limit in spec.caps.items()}
    assert caps == {**declared, "x": 2} and caps["facebook_reels"] == 30
