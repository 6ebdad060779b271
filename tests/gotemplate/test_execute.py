"""Bounds on one render: output, steps, time, nesting and the size of built values."""

from __future__ import annotations

import time

import pytest

from automation.gotemplate import LimitError, Limits, ParseError, TemplateError, parse

SMALL = Limits(max_output=10_000, max_steps=50_000, max_seconds=60.0)


def render(text: str, limits: Limits = SMALL) -> str:
    return parse(text, "t").execute({"s": "x"}, limits)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ range until 20000 }}xxxxxxxxxx{{ end }}", "output exceeds 10000 characters"),
        ("{{ range until 100000 }}{{ end }}", "exceeded 50000 evaluation steps"),
        ("{{ range 100000000 }}{{ end }}", "exceeds the step budget"),
        ('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', "maximum template"),
    ],
)
def test_render_bounds(text: str, message: str) -> None:
    with pytest.raises(LimitError, match=message):
        render(text)


@pytest.mark.parametrize(
    "text",
    [
        '{{ repeat 1000000000 "x" }}',
        '{{ indent 1000000000 "a\\nb" }}',
        '{{ replace "" (repeat 1000 "y") (repeat 10000 "x") }}',
        '{{ printf "%*d" 1000000000 1 }}',
        '{{ printf "%.1000000000f" 1.0 }}',
        "{{ until 1000000000 }}",
        '{{ regexReplaceAll "" (repeat 10000 "x") (repeat 1000 "y") }}',
        '{{ $s := repeat 100000 "x" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}',
        '{{ $l := list }}{{ $s := repeat 100000 "x" }}{{ range until 100 }}'
        '{{ $l = append $l $s }}{{ end }}{{ join "" $l }}',
        '{{ $l := list }}{{ $s := repeat 100000 "x" }}{{ range until 100 }}'
        "{{ $l = append $l $s }}{{ end }}{{ $l }}",
        '{{ $l := list }}{{ $s := repeat 100000 "x" }}{{ range until 100 }}'
        "{{ $l = append $l $s }}{{ end }}{{ toJson $l }}",
    ],
)
def test_values_are_bounded_before_they_are_built(text: str) -> None:
    start = time.monotonic()
    with pytest.raises(TemplateError, match=r"larger than|exceed"):
        render(text, Limits(max_output=1 << 22, max_steps=100_000, max_seconds=60.0))
    assert time.monotonic() - start < 10


def test_deadline() -> None:
    limits = Limits(max_output=1 << 20, max_steps=10**9, max_seconds=0.2)
    start = time.monotonic()
    with pytest.raises(LimitError, match="to render"):
        render("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}", limits)
    assert time.monotonic() - start < 5  # the check runs every 1024 steps


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match="too deep"):
        parse("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
    deep = "{{ if true }}" * 100 + "x" + "{{ end }}" * 100
    assert render(deep) == "x"


def test_within_bounds_renders() -> None:
    assert render('{{ repeat 3 "ab" }}{{ .s }}') == "abababx"
