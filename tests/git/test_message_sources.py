"""`.Sources` in commit message templates: present for the changed images only, and absent
from every printing of the data, so Flux templates render byte for byte as before."""

from __future__ import annotations

import pytest

from automation.changeset import Change, ObjectId, build_changeset
from automation.git import MessageTemplate, MessageTemplateError
from automation.git.message import check_template
from automation.sourcelinks import ImageSource, SourceChange

A = "0123456789abcdef0123456789abcdef01234567"
B = "fedcba9876543210fedcba9876543210fedcba98"
WEB = SourceChange(
    "apps/web",
    "ghcr.io/acme/web",
    "1.0.0",
    "1.1.0",
    ImageSource("https://github.com/acme/web", A, "1.0.0"),
    ImageSource("https://github.com/acme/web", B, "1.1.0", "https://acme.example"),
)
API = SourceChange("apps/api", "ghcr.io/acme/api", "2.0.0", "2.1.0", ImageSource(), ImageSource())
CHANGES = build_changeset(
    [
        (
            "web.yaml",
            ObjectId("apps/v1", "Deployment", "apps", "web"),
            Change("ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0", "apps:web"),
        ),
        (
            "web.yaml",
            ObjectId("apps/v1", "Deployment", "apps", "web"),
            Change("1", "2", "apps:web:tag"),
        ),
    ]
)
SOURCES = {"apps/web": WEB, "apps/api": API}


def render(template: str, sources: dict[str, SourceChange] | None = None) -> str:
    return MessageTemplate(template, "apps", "fleet").with_sources(sources or {})(CHANGES)


def test_sources_list_the_changed_images_with_their_links() -> None:
    template = (
        "{{ range .Sources }}{{ .Image }} {{ .OldTag }} -> {{ .NewTag }}\n"
        "source: {{ .Source }} ({{ .OldRevision }}..{{ .Revision }}, {{ .Version }}, {{ .URL }})\n"
        "compare: {{ .CompareURL }}\n{{ end }}"
    )
    assert render(template, SOURCES) == (
        "ghcr.io/acme/web 1.0.0 -> 1.1.0\n"
        f"source: https://github.com/acme/web ({A}..{B}, 1.1.0, https://acme.example)\n"
        f"compare: https://github.com/acme/web/compare/{A}...{B}\n"
    )  # apps/api has no change here: not listed


def test_flux_printings_of_the_data_are_unchanged_by_sources() -> None:
    for template in ("{{ . }}", '{{ printf "%+v" . }}', "{{ toJson . }}", "{{ .Changed }}"):
        assert render(template, SOURCES) == render(template)
    assert "Sources" not in render("{{ toJson . }}", SOURCES)


def test_no_sources_is_an_empty_range_and_a_nil_slice() -> None:
    assert render("{{ range .Sources }}x{{ else }}none{{ end }}") == "none"
    assert render("{{ toJson .Sources }}") == "null"
    assert render("{{ len .Sources }}", SOURCES) == "1"


def test_validate_checks_fields_of_sources() -> None:
    check_template("{{ range .Sources }}{{ .CompareURL }}{{ end }}")
    with pytest.raises(MessageTemplateError, match="can't evaluate field Compare in type"):
        check_template("{{ range .Sources }}{{ .Compare }}{{ end }}")
