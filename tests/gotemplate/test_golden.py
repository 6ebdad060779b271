"""The Python engine against goldens rendered by Go's text/template + Sprig (regen.sh)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from automation.changeset import Change, ObjectId, build_changeset
from automation.git.fluxdata import template_data
from automation.gotemplate import TemplateError, parse

HERE = Path(__file__).parent / "golden"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
GOLDENS = {g["name"]: g for g in json.loads((HERE / "goldens.json").read_text())["goldens"]}


# The goldens come from Debian's Go 1.19; Flux builds with a current Go, whose
# text/template ranges over an integer (Go 1.22) and has {{else with}} (Go 1.23).
# Those cases follow current Go.
CURRENT_GO = {
    "control/22": {"output": "x" * 42},
    "more/33": {"output": "yes"},
    "more/34": {"output": "v"},
}
# Complex-number constants are not implemented (no commit message needs them).
NOT_IMPLEMENTED = {"more/12"}


def dataset(name: str) -> Any:
    spec = CASES["datasets"][name]
    if "json" in spec:
        return json.loads(json.dumps(spec["json"]))
    flux = spec["flux"]
    changes = build_changeset(
        (c[0], ObjectId(c[1], c[2], c[3], c[4]), Change(c[5], c[6], c[7])) for c in flux["changes"]
    )
    return template_data(flux["automation"][0], flux["automation"][1], flux["values"], changes)


def render(template: str, data: Any) -> dict[str, str]:
    try:
        return {"output": parse(template, "commit message").execute(data)}
    except TemplateError as err:
        return {"error": str(err)}


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_matches_go(case: dict[str, str]) -> None:
    if case["name"] in NOT_IMPLEMENTED:
        pytest.skip("not implemented")
    golden = GOLDENS[case["name"]]
    expected = CURRENT_GO.get(case["name"]) or {
        k: golden[k] for k in ("output", "error") if k in golden
    }
    assert render(case["template"], dataset(case["data"])) == expected


def test_table_is_large_and_has_errors() -> None:
    errors = sum("error" in g for g in GOLDENS.values())
    assert len(GOLDENS) >= 500
    assert errors >= 100
