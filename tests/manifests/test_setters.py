from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from automation.manifests.markers import Marker
from automation.manifests.setters import reads_as_string, render_scalar, value_for
from automation.reference import LatestRef

REF = LatestRef("ghcr.io/acme/app", "v1.2.3", "sha256:abc")


@pytest.mark.parametrize(
    ("setter", "expected"),
    [
        ("full", "ghcr.io/acme/app:v1.2.3@sha256:abc"),
        ("tag", "v1.2.3"),
        ("name", "ghcr.io/acme/app"),
        ("digest", "sha256:abc"),
    ],
)
def test_value_for(setter: str, expected: str) -> None:
    assert value_for(Marker("ns", "p", setter), REF) == expected  # type: ignore[arg-type]


def test_without_digest_full_drops_it_and_digest_is_empty() -> None:
    ref = LatestRef("nginx", "1.27")
    assert value_for(Marker("ns", "p", "full"), ref) == "nginx:1.27"
    assert value_for(Marker("ns", "p", "digest"), ref) == ""


@pytest.mark.parametrize(
    "value",
    [
        "1.10",
        "20240101",
        "1e3",
        "yes",
        "No",
        "on",
        "0x1F",
        "0755",
        "0o17",
        "1_000",
        "~",
        "null",
        "true",
        ".inf",
        "-.5",
        "2024-01-01",
        "1:20",
        "",
        "<<",
        "=",
        "09",
        "+1",
    ],
)
def test_non_strings_are_quoted_when_plain(value: str) -> None:
    assert not reads_as_string(value)
    rendered = render_scalar(value, "plain")
    assert rendered == '"' + value + '"'
    assert YAML(typ="safe", pure=True).load(f"k: {rendered}\n") == {"k": value}


@pytest.mark.parametrize(
    "value", ["v1.10", "1.10-alpine", "sha256:abc", "nginx", "1.2.3", "ghcr.io/a/b:1.0@sha256:f"]
)
def test_strings_stay_plain(value: str) -> None:
    assert render_scalar(value, "plain") == value


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        ("it's", "single", "'it''s'"),
        ('say "hi"', "double", '"say \\"hi\\""'),
        ("a\\b", "double", '"a\\\\b"'),
        ("a\tb", "single", '"a\\tb"'),  # not printable in single quotes: double
        ("has space", "plain", '"has space"'),
        ("-dash", "plain", '"-dash"'),
        ("ends:", "plain", '"ends:"'),
        ("größe", "plain", '"größe"'),
        ("größe", "double", '"größe"'),
        ("1.10", "single", "'1.10'"),
    ],
)
def test_quote_styles(value: str, style: str, expected: str) -> None:
    rendered = render_scalar(value, style)  # type: ignore[arg-type]
    assert rendered == expected
    assert YAML(typ="safe", pure=True).load(f"k: {rendered}\n") == {"k": value}


def test_tagged_plain_stays_plain_and_flow_quotes_colons() -> None:
    assert render_scalar("20240101", "plain", tagged=True) == "20240101"
    assert render_scalar("nginx:1.0", "plain", flow=True) == '"nginx:1.0"'
    assert render_scalar("v1.0", "plain", flow=True) == "v1.0"
