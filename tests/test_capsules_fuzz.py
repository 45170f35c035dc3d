"""Random capsule scripts and subtitle files (SRT, WebVTT) never crash `capsule check`, and checking
writes nothing: every outcome is a report."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsules.check import check_script
from networks.registry import registry

FUZZ = settings(
    max_examples=int(os.environ.get("CLICKABLE_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GOOD = """\
capsule: {id: essai, title: "Essai", formats: [vertical, x], languages: [fr, rcf]}
audience: children
sign_language: {video: absent.mp4, side: right, key: green}
alt_text: {fr: "Une vidéo.", rcf: "In vidéo."}
scenes:
  - {duration: 3, background: {color: "#204060"}, title: {fr: "Titre", rcf: "Tit"}}
  - {duration: 3, background: {color: "#102030"}}
cues:
  - {start: 0.5, end: 2.9, kind: narrator, text: {fr: "Ça va ? Tu peux en parler.", rcf: "Ou pé koz."}}
  - {start: 3.0, end: 5.5, text: {fr: "Ce n'est jamais ta faute.", rcf: "Lé pa out fot."}}
end_card: {text: {fr: "Appelle le 3018", rcf: "Apèl le 3018"}, link: "https://clickable.example.org/r/abc", qr: true}
poster: {at: 1.0}
"""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["fr", "rcf", "swb", "xx", "fra", "vertical", "x", "#204060", "green", "left", "narrator", "children",
         "absent.mp4", "/dev/zero", ".", "..", "subs.srt"]
    ),
)  # fmt: skip
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["capsule", "id", "title", "formats", "languages", "audience", "scenes", "duration", "background",
         "color", "cues", "start", "end", "text", "kind", "subtitles", "sign_language", "video", "side", "key",
         "alt_text", "end_card", "fr", "rcf"]
    ),
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=30,
)


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def checked(folder: Path, script: str | bytes) -> None:
    path = folder / "essai.yaml"
    if isinstance(script, bytes):
        path.write_bytes(script)
    else:
        path.write_text(script, "utf-8", errors="surrogatepass")
    before = listing(folder)
    result = check_script(path, registry())
    assert result.ok is (not result.problems)
    assert all(problem.line >= 1 and problem.column >= 1 for problem in result.problems)
    assert listing(folder) == before  # checking writes nothing


@FUZZ
@given(documents)
def test_random_scripts_never_crash(tmp_path: Path, document: object) -> None:
    checked(tmp_path, yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.text(max_size=300))
def test_random_text_never_crashes(tmp_path: Path, text: str) -> None:
    checked(tmp_path, text)


@FUZZ
@given(st.data())
def test_mutated_script_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    lines = GOOD.splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        replacement = data.draw(
            st.one_of(
                st.just(""),
                st.text(max_size=20),
                st.sampled_from(
                    ["  ", "- ", ": ", "&a", "*a", "{", "[", "'", "<<: *a", "xx: y", "end: -1", "start: 99",
                     "text: {}", "text: {fr: ''}", "languages: []", "kind: cri", "subtitles: {fr: /dev/zero}"]
                ),
            )
        )  # fmt: skip
        cut = data.draw(st.integers(min_value=0, max_value=len(lines[index])))
        lines[index] = lines[index][:cut] + replacement
    checked(tmp_path, "\n".join(lines))


def timestamp(vtt: bool) -> st.SearchStrategy[str]:
    separator = "." if vtt else ","
    return st.tuples(
        st.integers(min_value=0, max_value=99),
        st.integers(min_value=0, max_value=99),
        st.integers(min_value=0, max_value=99),
        st.integers(min_value=0, max_value=9999),
    ).map(lambda parts: f"{parts[0]:02d}:{parts[1]:02d}:{parts[2]:02d}{separator}{parts[3]:03d}")


@st.composite
def subtitle_files(draw: st.DrawFn) -> tuple[str, str]:
    """An SRT or WebVTT file, well-formed or not: numbered blocks, timings, tags, odd bytes."""
    vtt = draw(st.booleans())
    blocks = []
    for number in range(draw(st.integers(min_value=0, max_value=6))):
        start, end = draw(timestamp(vtt)), draw(timestamp(vtt))
        arrow = draw(st.sampled_from([" --> ", "-->", " -> ", " --> "]))
        text = draw(
            st.one_of(
                st.text(max_size=40),
                st.sampled_from(
                    [
                        "<i>Tu peux</i>",
                        "{\\an8}Haut",
                        "<v Ana>Ou pé koz",
                        "<c.yellow>Bip</c>",
                        "",
                        "\n\n",
                        "NOTE x",
                    ]
                ),
            )
        )
        header = "" if vtt and draw(st.booleans()) else f"{number + 1}\n"
        blocks.append(
            f"{header}{start}{arrow}{end}{draw(st.sampled_from(['', ' align:start', ' line:0']))}\n{text}"
        )
    body = "\n\n".join(blocks)
    if vtt:
        body = draw(st.sampled_from(["WEBVTT\n\n", "WEBVTT\nLanguage: rcf\n\n", "WEBVTT - x\n\n", ""])) + body
    if draw(st.booleans()):
        body += "\n"
    return ("subs.vtt" if vtt else "subs.srt"), body


@FUZZ
@given(subtitle_files())
def test_random_subtitle_files_never_crash(tmp_path: Path, subtitles: tuple[str, str]) -> None:
    name, content = subtitles
    (tmp_path / name).write_text(content, "utf-8", errors="surrogatepass")
    script = (
        'capsule: {id: essai, title: "Essai", formats: [x], languages: [fr, rcf]}\n'
        'scenes:\n  - {duration: 20, background: {color: "#204060"}}\n'
        f"subtitles: {{fr: {name}, rcf: {name}}}\n"
    )
    checked(tmp_path, script)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_subtitles_never_crash(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "subs.srt").write_bytes(content)
    script = 'capsule: {id: essai, title: "Essai", formats: [x]}\nscenes:\n  - {duration: 5, background: {color: "#000000"}}\nsubtitles: subs.srt\n'
    checked(tmp_path, script)
