"""Printing for people (aligned tables) and programs (JSON, YAML that reads back the same)."""

from __future__ import annotations

import io
import json

from ruamel.yaml import YAML

from automation.output import emit, table

DATA = {"name": "app", "digest": "sha256:" + "ab" * 32, "tags": ["1.0", "2.0"], "error": None}


def test_json_and_yaml_read_back_in_insertion_order() -> None:
    as_json, as_yaml = io.StringIO(), io.StringIO()
    emit(DATA, "json", as_json)
    emit(DATA, "yaml", as_yaml)
    assert json.loads(as_json.getvalue()) == DATA
    assert YAML(typ="safe", pure=True).load(as_yaml.getvalue()) == DATA
    assert list(json.loads(as_json.getvalue())) == list(DATA)
    assert f"digest: sha256:{'ab' * 32}\n" in as_yaml.getvalue()  # never folded in two


def test_table_aligns_columns_and_shows_none_as_a_dash() -> None:
    out = io.StringIO()
    table(["NAME", "LATEST"], [["apps/app", "1.0.0"], ["apps/longer-name", None]], out)
    assert out.getvalue().splitlines() == [
        "NAME              LATEST",
        "apps/app          1.0.0",
        "apps/longer-name  -",
    ]
