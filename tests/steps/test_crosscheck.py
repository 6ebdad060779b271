"""Checks across objects, each a ConfigError at the referring object's line with its field."""

from __future__ import annotations

import textwrap
from pathlib import Path

from automation.config import load_config
from automation.steps.crosscheck import crosscheck

POLICIES = textwrap.dedent("""\
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: app, namespace: apps}
    spec:
      image: ghcr.io/org/app
      interval: 1h
      exclusionList: ["(unclosed"]
      secretRef: {name: missing}
    ---
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: app, namespace: apps}
    spec:
      imageRepositoryRef: {name: app}
      policy: {semver: {range: "not a range"}}
      filterTags: {pattern: "[="}
    ---
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: other, namespace: team}
    spec:
      imageRepositoryRef: {name: app, namespace: apps}
      policy: {alphabetical: {}}
    ---
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: dangling, namespace: apps}
    spec:
      imageRepositoryRef: {name: nope}
      policy: {numerical: {order: desc}}
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata: {name: fleet, namespace: apps}
    spec: {url: "https://git.example/fleet.git", ref: {tag: v1}}
    ---
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageUpdateAutomation
    metadata: {name: fleet, namespace: apps}
    spec:
      interval: 1h
      sourceRef: {kind: GitRepository, name: fleet}
      git:
        commit: {author: {name: bot, email: bot@example.com}}
""")
SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: apps}\nstringData: {a: b}\n"
)


def problems(tmp_path: Path, *, with_secrets: bool) -> list[tuple[int | None, str, str]]:
    (tmp_path / "p.yaml").write_text(POLICIES)
    secrets = []
    if with_secrets:
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "s.yaml").write_text(SECRET)
        secrets = [tmp_path / "secrets"]
    config = load_config([tmp_path / "p.yaml"], secrets)
    return [(e.line, e.field, e.message) for e in crosscheck(config)]


def test_every_problem_is_named_at_its_field_in_file_order(tmp_path: Path) -> None:
    found = problems(tmp_path, with_secrets=True)
    # the line of the field at fault (its parent's when the field is not written)
    assert [(line, field) for line, field, _ in found] == [
        (7, "spec.exclusionList[0]"),
        (8, "spec.secretRef"),
        (15, "spec.policy.semver.range"),
        (16, "spec.filterTags.pattern"),
        (22, "spec.imageRepositoryRef"),
        (29, "spec.imageRepositoryRef"),
        (43, "spec.git.push.branch"),
    ]
    messages = [message for _, _, message in found]
    assert "Secret apps/missing not found" in messages[1]
    assert "invalid semver range 'not a range'" in messages[2]
    assert "in another namespace and does not allow it" in messages[4]
    assert messages[5] == "ImageRepository apps/nope not found"
    assert "cannot be inferred from the checkout ref" in messages[6]


def test_secrets_are_checked_only_when_a_secrets_path_is_given(tmp_path: Path) -> None:
    fields = [field for _, field, _ in problems(tmp_path, with_secrets=False)]
    assert "spec.secretRef" not in fields and len(fields) == 6
