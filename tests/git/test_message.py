"""Commit messages: Flux's goldens (source_test.go, controller tests) ported to Jinja."""

from __future__ import annotations

import pytest

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.git import MessageTemplate, MessageTemplateError
from automation.git.message import check_template

TEST = ObjectId("apps/v1", "Deployment", "", "test")


def one_change() -> ChangeSet:
    return build_changeset(
        [("deploy.yaml", TEST, Change("helloworld:1.0.0", "helloworld:1.0.1", "ns:policy1"))]
    )


RESULT_V2 = """Commit summary with ResultV2

Automation: {{ AutomationObject }}

{% for filename, objchange in Changed.FileChanges.items() %}
- File: {{ filename }}
{% for obj, changes in objchange.items() %}
  - Object: {{ obj.Kind }}/{{ obj.Namespace }}/{{ obj.Name }}
    Changes:
{% for change in changes %}
    - {{ change.OldValue }} -> {{ change.NewValue }}
{% endfor %}
{% endfor %}
{% endfor %}
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
        "Commit summary\n\nAutomation: {{ AutomationObject }}\n\n"
        'Cluster: {{ Values["cluster"] }}\nTesting: {{ Values.testing }}\n'
    )
    values = {"cluster": "prod", "testing": "value"}
    message = MessageTemplate(template, "test-ns", "test-update", values)(one_change())
    assert (
        message
        == "Commit summary\n\nAutomation: test-ns/test-update\n\nCluster: prod\nTesting: value\n"
    )


def test_controller_golden_with_lower_and_setters() -> None:
    template = """Automation: {{ AutomationObject }}

Files:
{% for file in Changed.FileChanges %}
- {{ file }}
{% endfor %}
Objects:
{% for obj in Changed.Objects %}
- {{ obj.Kind | lower }} {{ obj.Name }}
{% endfor %}
Images:
{% for change in Changed.Changes %}
- {{ change.NewValue }} ({{ change.Setter }})
{% endfor %}
"""
    message = MessageTemplate(template, "ns-1", "update-test")(one_change())
    assert message == (
        "Automation: ns-1/update-test\n\nFiles:\n- deploy.yaml\nObjects:\n- deployment test\n"
        "Images:\n- helloworld:1.0.1 (ns:policy1)\n"
    )


def test_objects_aggregate_changes_across_files() -> None:
    changes = build_changeset(
        [
            ("b.yaml", TEST, Change("a:1", "a:2", "ns:a")),
            ("a.yaml", TEST, Change("b:1", "b:2", "ns:b")),
        ]
    )
    template = (
        "{% for obj, chs in Changed.Objects.items() %}{{ obj }}:"
        "{% for c in chs %} {{ c.NewValue }}{% endfor %}{% endfor %}"
    )
    assert MessageTemplate(template, "ns", "n")(changes) == "Deployment//test: b:2 a:2\n"


def test_rendering_is_sorted_and_changes_deduplicated() -> None:
    zeta = ObjectId("v1", "ConfigMap", "z", "zeta")
    alpha = ObjectId("apps/v1", "Deployment", "a", "alpha")
    same = Change("x:1", "x:2", "ns:x")
    changes = build_changeset(
        [("z.yaml", zeta, same), ("z.yaml", alpha, same), ("a.yaml", zeta, same)]
    )
    template = (
        "{% for f, objs in Changed.FileChanges.items() %}{{ f }}[{{ objs | join(',') }}] "
        "{% endfor %}{{ Changed.Changes | length }}"
    )
    assert MessageTemplate(template, "ns", "n")(changes) == (
        "a.yaml[ConfigMap/z/zeta] z.yaml[Deployment/a/alpha,ConfigMap/z/zeta] 1\n"
    )


def test_default_message_lists_changes() -> None:
    assert MessageTemplate("", "ns", "auto")(one_change()) == (
        "Update from image update automation\n\n- deploy.yaml\n  - Deployment//test\n"
        "    - helloworld:1.0.0 -> helloworld:1.0.1 (ns:policy1)\n"
    )


@pytest.mark.parametrize(
    ("template", "hint"),
    [
        ("{% for f in Updated.Files %}{{ f }}{% endfor %}", "'.Updated' was removed"),
        ("{{ Changed.ImageResult.Files }}", "'.Changed.ImageResult' was removed"),
        ('{{ Changed["ImageResult"] }}', "'.Changed.ImageResult' was removed"),
    ],
)
def test_removed_fields_are_rejected_up_front(template: str, hint: str) -> None:
    with pytest.raises(MessageTemplateError, match=hint):
        MessageTemplate(template, "ns", "n")


def test_syntax_errors_and_unknown_names_are_clear() -> None:
    with pytest.raises(MessageTemplateError, match="commit message template"):
        MessageTemplate("{% for x in %}", "ns", "n")
    with pytest.raises(MessageTemplateError, match="'Nope' is undefined"):
        MessageTemplate("{{ Nope }}", "ns", "n")(one_change())
    with pytest.raises(MessageTemplateError, match="by zero"):
        MessageTemplate("{{ 1 // 0 }}", "ns", "n")(one_change())


def test_check_template_for_config_validation() -> None:
    check_template(RESULT_V2)
    with pytest.raises(MessageTemplateError, match=r"^line 2: "):
        check_template("ok\n{% if %}")
    with pytest.raises(MessageTemplateError, match=r"^'.Updated' was removed"):
        check_template("{{ Updated }}")


def test_sandbox_blocks_python_internals() -> None:
    with pytest.raises(MessageTemplateError, match="unsafe"):
        MessageTemplate("{{ AutomationObject.__class__.__mro__ }}", "ns", "n")(one_change())
