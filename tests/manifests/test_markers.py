from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation.manifests.markers import BadMarker, Marker, parse_marker, parse_marker_json


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ('# {"$imagepolicy": "ns:app"}', Marker("ns", "app", "full")),
        ('#{"$imagepolicy":"ns:app:tag"}', Marker("ns", "app", "tag")),
        ('## {"$imagepolicy": "ns:app:name"}  ', Marker("ns", "app", "name")),
        ('# { "$imagepolicy" : "ns:app:digest" }', Marker("ns", "app", "digest")),
        ('# {"note": "x", "$imagepolicy": "ns:app"}', Marker("ns", "app", "full")),
    ],
)
def test_markers(comment: str, expected: Marker) -> None:
    assert parse_marker(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "# just a comment",
        '# {"$imagepolicy": "ns:app"} and more',  # trailing text after the JSON
        "# {'$imagepolicy': 'ns:app'}",  # not JSON
        '# {"$imagepolicy": "ns:app", "n": 1}',  # a non-string value
        '# {"$imagepolicy": ["ns:app"]}',
        '# ["$imagepolicy", "ns:app"]',
        '# {"imagepolicy": "ns:app"}',
        '# see "$imagepolicy" in the docs',
    ],
)
def test_not_markers(comment: str) -> None:
    assert parse_marker(comment) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("app", "expected <namespace>:<policy>"),
        ("ns:app:tag:digest", "expected <namespace>:<policy>"),
        ("ns:app:version", "unknown setter suffix 'version'"),
        (":app", "non-empty"),
        ("ns: app", "without spaces"),
    ],
)
def test_bad_markers_say_why(value: str, reason: str) -> None:
    result = parse_marker('# {"$imagepolicy": "' + value + '"}')
    assert isinstance(result, BadMarker)
    assert result.value == value
    assert reason in result.reason


def test_marker_string_is_the_setter_name() -> None:
    assert str(Marker("ns", "app", "full")) == "ns:app"
    assert str(Marker("ns", "app", "tag")) == "ns:app:tag"


comment_texts = st.one_of(
    st.builds(
        lambda hashes, space, colon, value: (
            "#" * hashes
            + space
            + '{"$imagepolicy":'
            + colon
            + json.dumps(value, ensure_ascii=False)
            + "}"
        ),
        st.integers(1, 3),
        st.sampled_from(["", " ", "  "]),
        st.sampled_from(["", " ", "  "]),
        st.text(alphabet='ab:-"\\/\x01é ', max_size=10),
    ),
    st.text(alphabet='#{}"$imagepolicy: ,\\', max_size=40),
)


@settings(max_examples=500, deadline=None)
@given(comment_texts)
def test_the_shortcut_reads_markers_as_json_does(comment: str) -> None:
    assert parse_marker(comment) == parse_marker_json(comment)
