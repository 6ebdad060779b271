"""Valid and invalid input for every kind of policy file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from automation.config import ObjectKey, load_config
from automation.errors import ConfigErrors

POLICY = """
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: team
  labels: {tier: web}
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: ">=1.0.0"
"""

GITREPO = """
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
  namespace: team
spec:
  url: https://example.com/org/fleet.git
  interval: 1m
  ref:
    branch: main
  secretRef:
    name: git-auth
"""

AUTOMATION = """
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: fleet
  namespace: team
spec:
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: fleet
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: bot@example.com
      signingKey:
        secretRef:
          name: signing
        type: ssh
      messageTemplateValues:
        cluster: prod
    push:
      branch: auto
      refspec: refs/heads/auto:refs/heads/main
      options:
        merge_request.create: ""
  policySelector:
    matchLabels:
      tier: web
    matchExpressions:
      - {key: env, operator: NotIn, values: [dev]}
  update:
    path: ./clusters
"""


def first_error(path: Path) -> str:
    with pytest.raises(ConfigErrors) as info:
        load_config([path])
    return str(info.value.errors[0])


class TestImagePolicy:
    def test_valid_semver_policy_defaults(self, write: Callable[..., Path]) -> None:
        policy = load_config([write("p.yaml", POLICY)]).image_policies[ObjectKey("team", "app")]
        assert policy.spec.policy.kind == "semver"
        assert policy.spec.digest_reflection_policy == "Never"
        assert policy.spec.interval is None
        assert policy.repository_namespace == "team"

    def test_alphabetical_and_numerical_default_to_asc(self, write: Callable[..., Path]) -> None:
        text = POLICY.replace('semver:\n      range: ">=1.0.0"', "alphabetical: {}")
        policy = next(iter(load_config([write("p.yaml", text)]).image_policies.values()))
        assert policy.spec.policy.alphabetical is not None
        assert policy.spec.policy.alphabetical.order == "asc"

    def test_two_policy_kinds_is_an_error(self, write: Callable[..., Path]) -> None:
        text = POLICY + "    numerical: {order: desc}\n"
        path = write("p.yaml", text)
        error = first_error(path)
        assert f"{path}:10: spec.policy: exactly one of semver, alphabetical, numerical" in error
        assert "found: semver, numerical" in error

    def test_empty_policy_is_an_error(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY.replace('semver:\n      range: ">=1.0.0"', "{}"))
        assert "exactly one of semver, alphabetical, numerical must be set (found: none)" in (
            first_error(path)
        )

    def test_interval_required_with_always(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY + "  digestReflectionPolicy: Always\n")
        assert "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'" in (
            first_error(path)
        )

    def test_interval_rejected_without_always(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY + "  digestReflectionPolicy: IfNotPresent\n  interval: 5m\n")
        assert "spec.interval is only accepted when" in first_error(path)

    def test_always_with_interval_is_valid(self, write: Callable[..., Path]) -> None:
        text = POLICY + "  digestReflectionPolicy: Always\n  interval: 10m\n"
        policy = next(iter(load_config([write("p.yaml", text)]).image_policies.values()))
        assert policy.spec.interval == timedelta(minutes=10)

    def test_unknown_reflection_policy(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY + "  digestReflectionPolicy: Sometimes\n")
        error = first_error(path)
        assert f"{path}:13: spec.digestReflectionPolicy:" in error
        assert "'Always', 'IfNotPresent' or 'Never'" in error

    def test_filter_tags(self, write: Callable[..., Path]) -> None:
        text = POLICY + "  filterTags:\n    pattern: '^main-(?P<ts>[0-9]+)'\n    extract: '$ts'\n"
        policy = next(iter(load_config([write("p.yaml", text)]).image_policies.values()))
        assert policy.spec.filter_tags is not None
        assert policy.spec.filter_tags.extract == "$ts"

    def test_missing_repository_ref(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY.replace("  imageRepositoryRef:\n    name: app\n", ""))
        assert f"{path}:7: spec.imageRepositoryRef: required field is missing" in first_error(path)

    def test_bad_name_is_reported(self, write: Callable[..., Path]) -> None:
        path = write("p.yaml", POLICY.replace("name: app\n  namespace", "name: App_1\n  namespace"))
        assert f"{path}:4: metadata.name: invalid name 'App_1'" in first_error(path)


class TestGitRepository:
    def test_valid(self, write: Callable[..., Path]) -> None:
        repo = load_config([write("g.yaml", GITREPO)]).git_repositories[ObjectKey("team", "fleet")]
        assert repo.spec.ref is not None and repo.spec.ref.branch == "main"
        assert repo.spec.timeout == timedelta(seconds=60)
        assert repo.spec.secret_ref is not None and repo.spec.secret_ref.name == "git-auth"

    @pytest.mark.parametrize("url", ["ssh://git@h/x.git", "git@github.com:org/x.git", "file:///r"])
    def test_url_forms(self, write: Callable[..., Path], url: str) -> None:
        text = GITREPO.replace("https://example.com/org/fleet.git", url)
        assert load_config([write("g.yaml", text)]).git_repositories

    def test_bad_url(self, write: Callable[..., Path]) -> None:
        path = write("g.yaml", GITREPO.replace("https://example.com/org/fleet.git", "fleet"))
        assert f"{path}:7: spec.url: 'fleet' is not a git URL" in first_error(path)

    def test_unknown_ref_field(self, write: Callable[..., Path]) -> None:
        path = write("g.yaml", GITREPO.replace("branch: main", "brnch: main"))
        assert f"{path}:10: spec.ref.brnch: unknown field" in first_error(path)


class TestImageUpdateAutomation:
    def test_valid(self, write: Callable[..., Path]) -> None:
        config = load_config([write("a.yaml", AUTOMATION)])
        auto = config.automations[ObjectKey("team", "fleet")]
        git = auto.spec.git
        assert git.commit.author.email == "bot@example.com" and git.commit.author.name == ""
        assert git.commit.signing_key is not None and git.commit.signing_key.type == "ssh"
        assert git.push is not None and git.push.options == {"merge_request.create": ""}
        assert auto.spec.update.strategy == "Setters" and auto.spec.update.path == "./clusters"
        assert auto.selects({"tier": "web", "env": "prod"})
        assert not auto.selects({"tier": "web", "env": "dev"})
        assert not auto.selects({"tier": "db"})

    def test_update_defaults(self, write: Callable[..., Path]) -> None:
        text = AUTOMATION.replace("  update:\n    path: ./clusters\n", "")
        auto = next(iter(load_config([write("a.yaml", text)]).automations.values()))
        assert auto.spec.update.path == "." and auto.spec.update.strategy == "Setters"

    def test_unknown_strategy(self, write: Callable[..., Path]) -> None:
        path = write("a.yaml", AUTOMATION.replace("path: ./clusters", "strategy: Regex"))
        assert f"{path}:35: spec.update.strategy: Input should be 'Setters'" in first_error(path)

    def test_author_email_required(self, write: Callable[..., Path]) -> None:
        path = write("a.yaml", AUTOMATION.replace("email: bot@example.com", "name: bot"))
        assert f"{path}:16: spec.git.commit.author.email: required field" in first_error(path)

    def test_signing_key_type(self, write: Callable[..., Path]) -> None:
        path = write("a.yaml", AUTOMATION.replace("type: ssh", "type: x509"))
        assert "spec.git.commit.signingKey.type: Input should be 'gpg' or 'ssh'" in (
            first_error(path)
        )

    def test_absolute_update_path(self, write: Callable[..., Path]) -> None:
        path = write("a.yaml", AUTOMATION.replace("path: ./clusters", "path: /etc"))
        assert "spec.update.path: '/etc' must be relative to the repository root" in (
            first_error(path)
        )

    def test_bad_selector_operator(self, write: Callable[..., Path]) -> None:
        path = write("a.yaml", AUTOMATION.replace("operator: NotIn", "operator: Maybe"))
        assert "spec.policySelector.matchExpressions[0].operator" in first_error(path)


class TestSecret:
    def test_data_and_string_data_merge(self, write: Callable[..., Path]) -> None:
        encoded = base64.b64encode(b"s3cret").decode()
        text = f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: git-auth
          namespace: team
        data:
          username: {base64.b64encode(b"bot").decode()}
          password: {encoded}
        stringData:
          password: override
        """
        path = write("s.yaml", text)
        secret = load_config([], [path]).secrets[ObjectKey("team", "git-auth")]
        assert secret.values == {"username": b"bot", "password": b"override"}
        assert "override" not in repr(secret) and "s3cret" not in repr(secret)

    def test_bad_base64_names_the_key_but_not_the_value(self, write: Callable[..., Path]) -> None:
        path = write(
            "s.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: 'not*base64!'\n",
        )
        with pytest.raises(ConfigErrors) as info:
            load_config([], [path])
        text = str(info.value)
        assert "data.token is not valid base64" in text and "not*base64!" not in text

    def test_secrets_env_var(
        self, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        from automation.config import secrets_paths_from_env

        write(
            "sec/s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n"
        )
        monkeypatch.setenv("IMAGE_AUTOMATION_SECRETS", str(tmp_path / "sec"))
        config = load_config([], secrets_paths_from_env())
        assert config.secrets[ObjectKey("default", "s")].values == {"a": b"b"}
