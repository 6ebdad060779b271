"""Reading policy files: values and lines from the event stream, and bounds on hostile YAML."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.cyaml import CBaseLoader

from automation.config import load_config
from automation.config.documents import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    _Builder,
    parse_documents,
    read_documents,
)
from automation.errors import ConfigError, ConfigErrors


def one_error(paths: list[Path]) -> ConfigError:
    with pytest.raises(ConfigErrors) as info:
        load_config(paths)
    (error,) = info.value.errors
    return error


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        prev, cur = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_in_an_ignored_kind_is_an_error_on_that_file_and_fast(
    write: Callable[..., Path],
) -> None:
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n" + "".join(
        "  " + line + "\n" for line in billion_laughs().splitlines()
    )
    assert len(body) < 700
    path = write("bomb.yaml", body)
    start = time.perf_counter()
    error = one_error([path])
    assert time.perf_counter() - start < 2
    assert error.file == str(path) and "excessive aliasing" in error.message
    assert error.line is not None and 5 <= error.line <= 13


def test_aliases_are_shared_not_copied() -> None:
    (doc,) = parse_documents("base: &b {x: [1, 2]}\nuse: *b\n", "f.yaml")
    assert doc.data["use"] is doc.data["base"]


def test_modest_aliasing_is_allowed() -> None:
    text = "defaults: &d\n  a: 1\n  b: 2\n" + "".join(f"k{i}: *d\n" for i in range(200))
    (doc,) = parse_documents(text, "f.yaml")
    assert doc.data["k199"] == {"a": 1, "b": 2}


@pytest.mark.parametrize("text", ["[" * 500, "a: " + "[" * 500 + "]" * 500, "{a: " * 300])
def test_deep_nesting_is_an_error_not_a_traceback(write: Callable[..., Path], text: str) -> None:
    path = write("deep.yaml", text)
    error = one_error([path])
    assert error.file == str(path)
    assert "nested more than" in error.message or "invalid YAML" in error.message


def test_nesting_just_under_the_limit_loads() -> None:
    depth = MAX_DEPTH - 1
    (doc,) = parse_documents("a: " + "[" * depth + "]" * depth + "\n", "f.yaml")
    assert isinstance(doc.data["a"], list)


def test_nesting_over_the_limit_names_the_line() -> None:
    text = "a: 1\nb:\n" + "".join("  " * i + "- \n" for i in range(0)) + "  " + "[" * 300
    with pytest.raises(ConfigError) as info:
        list(parse_documents(text, "f.yaml"))
    assert info.value.line == 3 and "nested more than" in info.value.message


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as out:
        out.write("a: '")
        out.write("x" * (MAX_FILE_BYTES + 10))
        out.write("'\n")
    with pytest.raises(ConfigError) as info:
        list(read_documents(path))
    assert "MiB; not read" in info.value.message


def test_documents_before_a_syntax_error_are_still_read() -> None:
    docs = parse_documents("a: 1\n---\nb: 2\n---\nc: [unclosed\n", "f.yaml")
    assert next(docs).data == {"a": 1}
    assert next(docs).data == {"b": 2}
    with pytest.raises(ConfigError) as info:
        next(docs)
    assert info.value.line is not None and info.value.line >= 5


def test_scalar_types_follow_the_yaml_1_2_core_schema() -> None:
    text = (
        "s: yes\nt: true\ni: 0x1f\no: 0o17\nf: 1.5e3\nn: ~\ne:\nq: '1'\ninf: -.inf\n"
        "tagged: !!str 12\nti: !!int '7'\nd: 2024-01-01\nv: 1.2.3\nblock: |\n  x\n"
    )
    (doc,) = parse_documents(text, "f.yaml")
    assert doc.data == {
        "s": "yes",
        "t": True,
        "i": 31,
        "o": 15,
        "f": 1500.0,
        "n": None,
        "e": None,
        "q": "1",
        "inf": float("-inf"),
        "tagged": "12",
        "ti": 7,
        "d": "2024-01-01",
        "v": "1.2.3",
        "block": "x\n",
    }


def test_lines_of_keys_and_items() -> None:
    text = "# c\nkind: X\nspec:\n  list:\n    - a\n    -\n      b: 1\n  flow: {c: [1, 2]}\n"
    (doc,) = parse_documents(text, "f.yaml")
    assert doc.line == 2
    assert doc.lines[("spec",)] == 3
    assert doc.lines[("spec", "list", 0)] == 5
    assert doc.lines[("spec", "list", 1, "b")] == 7
    assert doc.lines[("spec", "flow", "c", 1)] == 8
    assert doc.line_of(["spec", "list", 1, "missing"]) == 7


def test_duplicate_keys_and_merge_keys() -> None:
    with pytest.raises(ConfigError) as info:
        list(parse_documents("a: 1\nb: 2\na: 3\n", "f.yaml"))
    assert info.value.line == 3 and "duplicate key 'a'" in info.value.message
    (doc,) = parse_documents("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.data["m"] == {"x": 1, "y": 3}
    text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nm: {<<: [*a, *b], x: 0}\nn: {<<: {q: 1}}\n"
    (doc,) = parse_documents(text, "f.yaml")
    assert doc.data["m"] == {"x": 0, "y": 1, "z": 2} and doc.data["n"] == {"q": 1}
    with pytest.raises(ConfigError, match="merge key"):
        list(parse_documents("m: {<<: [1]}\n", "f.yaml"))


def test_tabs_after_values_and_a_bom_are_read() -> None:
    (doc,) = parse_documents("\ufeffa: 1\t# c\nb:\tx\n", "f.yaml")
    assert doc.data == {"a": 1, "b": "x"}


def test_flow_plain_colon_falls_back_to_the_pure_parser() -> None:
    (doc,) = parse_documents("a: [b:c]\n", "f.yaml")
    assert doc.data == {"a": [{"b": "c"}]} or doc.data == {"a": ["b:c"]}


SAMPLE = (
    "# c\nkind: X\nspec: &s\n  list:\n    - a\n    - {b: 1, c: [x, ~, 'q']}\n"
    "  n: 0x1f\nother: *s\nm:\n  <<: *s\n  n: 2\n---\n- not a mapping\n---\nlast: |\n  t\n"
)


def _events_from(source: str) -> Any:
    text = SAMPLE
    if source == "pyyaml-c":
        return yaml.parse(text, Loader=yaml.CBaseLoader)
    if source == "ruamel-c":
        loader = CBaseLoader(text)
        return iter(loader.get_event, None)
    return YAML(typ="safe", pure=True).parse(text)


def test_every_event_source_gives_the_same_documents_and_lines() -> None:
    results = []
    for source in ("pyyaml-c", "ruamel-c", "ruamel-pure"):
        docs = list(_Builder("f.yaml").documents(_events_from(source)))
        results.append([(d.line, d.data, d.lines) for d in docs])
    assert results[0] == results[1] == results[2]
    (first, last) = results[0]
    assert first[1]["m"] == {"list": ["a", {"b": 1, "c": ["x", None, "q"]}], "n": 2}
    assert first[2][("spec", "list", 1, "c", 2)] == 6 and last[1] == {"last": "t\n"}


def test_the_cyclic_collector_is_on_again_after_a_load(write: Callable[..., Path]) -> None:
    path = write("bad.yaml", "a: [unclosed\n")
    assert gc.isenabled()
    with pytest.raises(ConfigErrors):
        load_config([path])
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ConfigErrors):
            load_config([path])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
