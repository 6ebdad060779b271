"""Property: pinning changes the image values and nothing else a YAML reader can see.

The value written is always a string: a Helm `tag: 1.10` a YAML reader takes for the float
1.1 is resolved and written as the text `1.10@sha256:...`, what its author meant."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automation.manifests.images import find_images
from automation.pinning.edits import apply_edits, edit_for

D = "sha256:" + "cd" * 32
names = st.from_regex(
    r"(r\.io/|localhost:5000/)?[a-z][a-z0-9]{0,6}(/[a-z][a-z0-9]{0,5})?", fullmatch=True
)
tags = st.sampled_from(["1", "1.10", "1e3", "v1.2.3", "latest", "2024-01-01", "yes", "0x1F"])
quotes = st.sampled_from(["", "'", '"'])
comments = st.sampled_from(["", "  # note", " # image: x:1"])


@st.composite
def manifests(draw: st.DrawFn) -> tuple[str, list[str]]:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    refs: list[str] = []
    lines = ["kind: Pod", "spec:", "  containers:"]
    for number in range(draw(st.integers(1, 4))):
        ref = f"{draw(names)}:{draw(tags)}"
        refs.append(ref)
        quote = draw(quotes)
        lines += [f"  - name: c{number}", f"    image: {quote}{ref}{quote}{draw(comments)}"]
    if draw(st.booleans()):
        tag = draw(tags)
        lines += ["---", "image:", "  repository: a/b", f"  tag: {tag}"]
        refs.append(tag)
    return eol.join(lines) + eol, refs


def load_all(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(io.StringIO(text)))


@settings(max_examples=100, deadline=None)
@given(manifests())
def test_only_image_values_change(case: tuple[str, list[str]]) -> None:
    text, refs = case
    sites = find_images(text)
    edits = [edit_for(site, D) for site in sites]
    new = apply_edits(text, [e for e in edits if e is not None])
    before, after = load_all(text), load_all(new)
    for container in before[0]["spec"]["containers"]:
        container["image"] = f"{container['image']}@{D}"
    if len(before) > 1:
        # The tag as written is what was resolved (a plain `1.10` stays "1.10", not 1.1).
        before[1]["image"]["tag"] = f"{refs[-1]}@{D}"
    assert after == before
    assert len(new.splitlines()) == len(text.splitlines())
    assert new.count("\r\n") == text.count("\r\n")
    assert len(sites) == len(refs)
