"""The error tree: what the scheduler retries, and one-line messages that name their source."""

from __future__ import annotations

import pytest

from automation.errors import (
    AutomationError,
    ConfigError,
    ConfigErrors,
    GitAuthError,
    GitError,
    NoMatchingTagError,
    PolicyError,
    RegistryError,
    RegistryPermanentError,
    RegistryTransientError,
)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (RegistryTransientError("timeout"), True),
        (RegistryPermanentError("unauthorized"), False),
        (GitError("push race"), True),
        (GitAuthError("bad key"), False),
        (PolicyError("bad range"), False),
        (NoMatchingTagError("none yet"), True),
        (ConfigError("a.yaml", 1, "spec", "bad"), False),
    ],
)
def test_retryable(error: AutomationError, retryable: bool) -> None:
    assert error.retryable is retryable


def test_config_error_names_file_line_and_field() -> None:
    assert (
        str(ConfigError("p.yaml", 7, "spec.image", "required")) == "p.yaml:7: spec.image: required"
    )
    assert str(ConfigError("p.yaml", None, "", "not YAML")) == "p.yaml: not YAML"
    both = ConfigErrors(
        [ConfigError("a.yaml", 1, "x", "one"), ConfigError("b.yaml", 2, "y", "two")]
    )
    assert str(both) == "a.yaml:1: x: one\nb.yaml:2: y: two"


def test_registry_error_names_registry_repository_and_status() -> None:
    err = RegistryError("list tags", registry="ghcr.io", repository="org/app", status=503)
    assert str(err) == "ghcr.io/org/app: list tags (HTTP 503)"
    assert str(RegistryError("probe", status=401)) == "probe (HTTP 401)"
    assert str(RegistryError("probe", registry="ghcr.io")) == "ghcr.io: probe"
