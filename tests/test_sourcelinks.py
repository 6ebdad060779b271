"""Source labels -> links: what becomes a link, compare URL shapes per forge, hostile labels."""

from __future__ import annotations

import pytest

from automation.sourcelinks import (
    MAX_VALUE,
    REVISION,
    SOURCE,
    URL,
    VERSION,
    ImageSource,
    SourceChange,
    clean_label,
    compare_url,
    link,
    repository_url,
)

A = "0123456789abcdef0123456789abcdef01234567"
B = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # GitHub: /{owner}/{repo}/compare/{base}...{head}
        ("https://github.com/acme/web", f"https://github.com/acme/web/compare/{A}...{B}"),
        ("https://github.com/acme/web.git", f"https://github.com/acme/web/compare/{A}...{B}"),
        (
            "https://github.com/acme/web/tree/main/x",
            f"https://github.com/acme/web/compare/{A}...{B}",
        ),
        ("https://github.example.com/a/b", f"https://github.example.com/a/b/compare/{A}...{B}"),
        # GitLab: /{namespace...}/{project}/-/compare/{from}...{to}, nested groups kept
        ("https://gitlab.com/g/sub/web", f"https://gitlab.com/g/sub/web/-/compare/{A}...{B}"),
        ("https://gitlab.com/g/web/-/tree/main", f"https://gitlab.com/g/web/-/compare/{A}...{B}"),
        # Gitea and Forgejo (Codeberg): /{owner}/{repo}/compare/{base}...{head}
        ("https://gitea.com/o/r", f"https://gitea.com/o/r/compare/{A}...{B}"),
        ("https://codeberg.org/o/r", f"https://codeberg.org/o/r/compare/{A}...{B}"),
        ("https://forgejo.example.org/o/r", f"https://forgejo.example.org/o/r/compare/{A}...{B}"),
        # Anything else, or too little of a path: no compare link
        ("https://bitbucket.org/o/r", ""),
        ("https://example.com/o/r", ""),
        ("https://github.com/acme", ""),
        ("", ""),
    ],
)
def test_compare_url_shapes(source: str, expected: str) -> None:
    assert compare_url(source, A, B) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [(A, A), ("", B), (A, ""), ("v1..v2", B), (A, "x y"), (A, "-rf"), (A, "a" * 200)],
)
def test_no_compare_without_two_safe_different_revisions(old: str, new: str) -> None:
    assert compare_url("https://github.com/o/r", old, new) == ""


def test_tags_are_revisions_too() -> None:
    assert compare_url("https://github.com/o/r", "v1.0.0", "v1.1.0") == (
        "https://github.com/o/r/compare/v1.0.0...v1.1.0"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("http://git.example.com:8080/o/r", "http://git.example.com:8080/o/r"),
        ("javascript:alert(1)", ""),
        ("file:///etc/passwd", ""),
        ("ftp://example.com/x", ""),
        ("//github.com/o/r", ""),
        ("github.com/o/r", ""),
        ("https://user:secret@github.com/o/r", ""),
        ("https://github.com/o/r<script>", ""),
        ('https://github.com/o/r"onclick=x', ""),
        ("https://github.com/o/r) [x](https://evil", ""),
        ("https://github.com/o/r|evil>", ""),
        ("https://github.com:99999/o/r", ""),
        ("https://", ""),
        ("https://x/" + "a" * MAX_VALUE, ""),
    ],
)
def test_only_safe_http_urls_become_links(value: str, expected: str) -> None:
    assert link(value) == expected


def test_labels_are_cleaned_bounded_and_never_interpreted() -> None:
    assert clean_label(" v1\x1b[31m\u202e\u200b.2\r\n ") == "v1[31m.2"
    assert clean_label(7) == "" and clean_label(None) == "" and clean_label(["x"]) == ""
    assert clean_label("x" * 5000) == ""  # over the raw bound: dropped, not cut
    assert len(clean_label("x" * 4000)) == MAX_VALUE
    source = ImageSource.from_labels(
        {
            SOURCE: "https://github.com/o/r\n",  # a trailing newline is stripped, then a link
            REVISION: "{{ .Values.secret }}",  # template text stays text
            VERSION: "1.2.3\x07",
            URL: "javascript:alert(1)",
        }
    )
    assert source == ImageSource("https://github.com/o/r", "{{ .Values.secret }}", "1.2.3", "")
    assert not ImageSource.from_labels({"other": "x"})


def test_a_change_compares_only_within_one_repository() -> None:
    old = ImageSource("https://github.com/o/r.git", A)
    new = ImageSource("https://github.com/o/r", B, "1.1.0", "https://example.com/app")
    change = SourceChange("apps/app", "ghcr.io/o/r", "1.0.0", "1.1.0", old, new)
    assert change.compare_url == f"https://github.com/o/r/compare/{A}...{B}"
    assert change.summary() == f"ghcr.io/o/r: 1.0.0 -> 1.1.0 {change.compare_url}"
    moved = SourceChange("apps/app", "i", "1", "2", ImageSource("https://github.com/x/y", A), new)
    assert moved.compare_url == "" and moved.best_link == "https://github.com/o/r"
    unknown = SourceChange("apps/app", "i", "", "2", ImageSource(), ImageSource())
    assert unknown.best_link == "" and unknown.summary() == "i: nothing -> 2"


def test_repository_url_normalises() -> None:
    assert repository_url("https://GitHub.com/o/r.git/") == ("github", "https://GitHub.com/o/r")
    assert repository_url("https://gitlab.com/g/-/x") == ("", "")


def test_json_form_names_the_template_fields() -> None:
    old, new = (
        ImageSource("https://gitlab.com/g/r", A, "1"),
        ImageSource("https://gitlab.com/g/r", B),
    )
    data = SourceChange("apps/app", "img", "1", "2", old, new).to_dict()
    assert data["compareURL"] == f"https://gitlab.com/g/r/-/compare/{A}...{B}"
    assert (data["oldRevision"], data["revision"], data["oldVersion"], data["version"]) == (
        A,
        B,
        "1",
        "",
    )
