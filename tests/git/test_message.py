"""Commit messages: Flux's templates (internal/source/source_test.go, docs) in Go syntax.

Byte-for-byte agreement with Go itself is in tests/gotemplate/test_golden.py; these tests
cover the Flux wiring: default message, data built from a ChangeSet, validate's checks.
"""

from __future__ import annotations

import pytest

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.git import MessageTemplate, MessageTemplateError
from automation.git.message import DEFAULT_TEMPLATE, check_template

TEST = ObjectId("apps/v1", "Deployment", "", "test")


def one_change() -> ChangeSet:
    return build_changeset(
        [("deploy.yaml", TEST, Change("helloworld:1.0.0", "helloworld:1.0.1", "ns:policy1"))]
    )


RESULT_V2 = """Commit summary with ResultV2

Automation: {{ .AutomationObject }}

{{ range $filename, $objchange := .Changed.FileChanges -}}
- File: {{ $filename }}
{{- range $obj, $changes := $objchange }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
    Changes:
{{- range $_ , $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
{{ end -}}
"""


def test_result_v2_golden() -> None:
    message = MessageTemplate(RESULT_V2, "test-ns", "test-update")(one_change())
    assert message == (
        "Commit summary with ResultV2\n\nAutomation: test-ns/test-update\n\n"
        "- File: deploy.yaml\n  - Object: Deployment//test\n    Changes:\n"
        "    - helloworld:1.0.0 -> helloworld:1.0.1\n"
    )


def test_values_golden() -> None:
    template = (
        "Commit summary\n\nAutomation: {{ .AutomationObject }}\n\n"
        'Cluster: {{ index .Values "cluster" }}\nTesting: {{ .Values.testing }}\n'
    )
    values = {"cluster": "prod", "testing": "value"}
    message = MessageTemplate(template, "test-ns", "test-update", values)(one_change())
    assert message == (
        "Commit summary\n\nAutomation: test-ns/test-update\n\nCluster: prod\nTesting: value\n"
    )


def test_objects_aggregate_changes_across_files() -> None:
    changes = build_changeset(
        [
            ("b.yaml", TEST, Change("a:1", "a:2", "ns:a")),
            ("a.yaml", TEST, Change("b:1", "b:2", "ns:b")),
        ]
    )
    template = (
        "{{ range $obj, $chs := .Changed.Objects }}{{ $obj.Kind }}:"
        "{{ range $chs }} {{ .NewValue }}{{ end }}{{ end }}"
    )
    assert MessageTemplate(template, "ns", "n")(changes) == "Deployment: b:2 a:2"


def test_changes_are_deduplicated_and_objects_print_as_go_structs() -> None:
    zeta = ObjectId("v1", "ConfigMap", "z", "zeta")
    same = Change("x:1", "x:2", "ns:x")
    changes = build_changeset([("z.yaml", zeta, same), ("a.yaml", zeta, same)])
    template = "{{ len .Changed.Changes }} {{ .Changed.Changes }} {{ .Changed.Objects }}"
    assert MessageTemplate(template, "ns", "n")(changes) == (
        "1 [{x:1 x:2 ns:x}] map[{{{v1 ConfigMap} {zeta z}}}:[{x:1 x:2 ns:x} {x:1 x:2 ns:x}]]"
    )


def test_default_message_is_fluxs() -> None:
    assert DEFAULT_TEMPLATE == "Update from image update automation"
    assert MessageTemplate("", "ns", "auto")(one_change()) == DEFAULT_TEMPLATE


@pytest.mark.parametrize(
    ("template", "hint"),
    [
        ("{{ range .Updated.Images }}{{ . }}{{ end }}", r"write '\{\{ range .Changed.Changes"),
        ("{{ range $f, $_ := .Updated.Files }}{{ $f }}{{ end }}", "removed '.Updated'"),
        ("{{ .Changed.ImageResult.Files }}", "removed '.Changed.ImageResult'"),
    ],
)
def test_removed_fields_name_their_replacement(template: str, hint: str) -> None:
    with pytest.raises(MessageTemplateError, match=hint):
        check_template(template)
    with pytest.raises(MessageTemplateError, match=hint):
        MessageTemplate(template, "ns", "n")(one_change())


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("ok\n{{ if }}", r"^template line 2: unable to create .*missing value for if"),
        ("a\n\n{% for c in Changed.Changes %}", r"^template line 3: '\{% for' is Jinja2 syntax"),
        ("{{ Changed.Changes }}", r"fields start with a dot.*'\{\{ \.Changed \}\}'"),
        ("x\n{{ .Changed.Nope }}", r"^template line 2: failed to run.*can't evaluate field Nope"),
        ("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}", "steps|to render"),
        ("{{ upper 1 }}", "at <1>: expected string; found 1"),
        ("{{ semver .x }}", "a Sprig function this tool does not implement"),
        ("{{ .Changed.Changes | upper }}", "wrong type for value; expected string; got"),
    ],
)
def test_check_template_reports_the_line(template: str, expected: str) -> None:
    with pytest.raises(MessageTemplateError, match=expected):
        check_template(template)


def test_check_template_accepts_data_dependent_calls() -> None:
    check_template(RESULT_V2)
    check_template("{{ (index .Changed.Changes 7).NewValue }}")
    check_template("{{ .Values.cluster }}", {"cluster": "prod"})


def test_syntax_errors_fail_at_construction() -> None:
    with pytest.raises(MessageTemplateError, match="commit message template: template line 1"):
        MessageTemplate("{{ .x", "ns", "n")


def test_output_is_bounded() -> None:
    template = MessageTemplate('{{ range until 50000 }}{{ repeat 100 "x" }}{{ end }}', "n", "a")
    with pytest.raises(MessageTemplateError, match="output exceeds"):
        template(one_change())


def test_no_environment_or_files() -> None:
    for name in ("env", "expandenv", "now", "readFile", "getHostByName", "uuidv4"):
        with pytest.raises(MessageTemplateError, match=f'function "{name}" not defined'):
            MessageTemplate(f'{{{{ {name} "HOME" }}}}', "ns", "n")
