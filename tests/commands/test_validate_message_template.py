"""`validate` on commit message templates: parsed and rendered over a sample change set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from automation.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
        Automated image update by {{ .AutomationObject }}

        {{ range .Changed.Changes -}}
        - {{ .OldValue }} -> {{ .NewValue }}
        {{ end -}}"""


def errors_for(tmp_path: Path, template: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    shutil.copytree(ROOT / "policies", tmp_path / "p")
    path = tmp_path / "p" / "image-update-automation.yaml"
    text = path.read_text()
    assert GOOD in text
    path.write_text(text.replace(GOOD, template))
    main(["validate", str(tmp_path / "p"), "-o", "json"])
    errors: list[dict] = json.loads(capsys.readouterr().out)["errors"]
    return errors


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "        Update\n        {% for c in Changed.Changes %}{{ c.NewValue }}{% endfor %}",
            "template line 2: '{% for' is Jinja2 syntax",
        ),
        (
            "        Images:\n        {{ range .Updated.Images -}}\n        - {{ . }}\n"
            "        {{ end -}}",
            "template uses removed '.Updated' field. Please use '.Changed' instead. "
            "For '{{ range .Updated.Images }}' write '{{ range .Changed.Changes }}",
        ),
        (
            "        x\n        {{ range .Changed.Changes }}{{ .Image }}{{ end }}",
            "template line 2: failed to run template from spec: template: commit message:2:31: "
            'executing "commit message" at <.Image>: can\'t evaluate field Image in type '
            "update.Change",
        ),
    ],
)
def test_bad_templates_are_reported_on_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, message: str
) -> None:
    (error,) = errors_for(tmp_path, template, capsys)
    assert error["field"] == "spec.git.commit.messageTemplate"
    assert message in error["message"]
