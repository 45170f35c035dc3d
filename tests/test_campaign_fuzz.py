"""Random YAML never crashes `campaign check`: every outcome is a report, never an exception."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.checks import check_file
from campaign.yamlsource import parse_yaml
from networks.registry import registry

from .test_campaign_check import MINIMAL

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["x", "facebook", "instagram", "fr", "Europe/Paris", "2099-06-01 18:30", "{link}", "*"]),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["campaign", "id", "posts", "accounts", "territories", "landing", "channels", "text", "at", "network"]
    ),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=25,
)

FUZZ = settings(
    max_examples=int(os.environ.get("CLICKABLE_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(documents)
def test_random_documents_never_crash(tmp_path: Path, document: object) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    report = check_file(path, networks=registry())
    assert report.ok is (not report.problems)


@FUZZ
@given(st.text(max_size=200))
def test_random_text_never_crashes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(text, "utf-8", errors="surrogatepass")
    check_file(path, networks=registry())


@FUZZ
@given(st.data())
def test_mutated_campaign_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    lines = MINIMAL.splitlines()
    index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    replacement = data.draw(
        st.one_of(
            st.just(""),
            st.text(max_size=20),
            st.sampled_from(["  ", "- ", ": ", "&a", "*a", "{", "[", "'", "<<: *a"]),
        )
    )
    lines[index] = lines[index][: len(lines[index]) // 2] + replacement
    (tmp_path / "clip.yaml").write_text("capsule: {id: clip}\n", "utf-8")
    path = tmp_path / "campaign.yaml"
    path.write_text("\n".join(lines), "utf-8", errors="surrogatepass")
    report = check_file(path, networks=registry())
    assert all(problem.line >= 1 and problem.column >= 1 for problem in report.problems)


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 8):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [" + ", ".join([f"*{chr(96 + level)}"] * 10) + "]\n"
    source = parse_yaml(bomb, "bomb.yaml")
    assert source.problems and "remove aliases" in source.problems[0].message


def test_recursive_alias_does_not_hang(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text("campaign: &c {id: x, name: *c}\n", "utf-8")
    report = check_file(path, networks=registry())
    assert not report.ok


YAML_SNIPPETS = st.sampled_from(
    [
        "a: &x [1, 2]\nb: *x\n", "base: &b {k: 1, l: 2}\nderived: {<<: *b, l: 3}\n", "s: !!set {a, b}\n",
        "o: !!omap [{a: 1}, {b: 2}]\n", "d: 2026-12-01 18:30:00\n", "e: 2026-12-01\n", "n: ~\n", "y: yes\n",
        "f: .inf\n", "k: {1: a, 2.5: b, null: c, true: d}\n", "dup: 1\ndup: 2\n", "b: !!binary aGVsbG8=\n",
        "=: v\n", "t: !!str 12\n", "p: !!pairs [{a: 1}, {a: 2}]\n", "q: 'quoted: yes'\n", "r: 0o17\n",
        "l: [[], {}, '', \"\"]\n", "x: &a {y: *a}\n",
    ]
)  # fmt: skip


@FUZZ
@given(st.one_of(documents.map(lambda document: yaml.safe_dump(document, allow_unicode=True)), YAML_SNIPPETS))
def test_the_data_is_what_yaml_safe_load_gives(text: str) -> None:
    """Positions and data are built in one walk: the data must be PyYAML's own."""
    source = parse_yaml(text, "doc.yaml")
    if source.problems and source.problems[0].priority == 0:
        return
    expected = yaml.safe_load(text)
    if "x: &a {y: *a}" in text:  # recursive: compare the shape, equality would recurse
        assert source.data["x"]["y"] is source.data["x"]
        return
    assert source.data == expected or repr(source.data) == repr(expected)  # (NaN is not equal to itself)
