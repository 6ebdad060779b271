"""One user-facing error tree.

Every failure that is the world's fault (bad config, a registry that says no, a remote
that is down) is an `AutomationError`; the CLI prints its message on one line and exits 1.
Anything else is our bug and keeps its traceback.

Two families decide what the scheduler does next:
- `StalledError`: permanent until the user changes the configuration (bad regex, 404
  repository, 401 after auth). Retrying will not help.
- `TransientError`: the world may fix itself (timeouts, 5xx, push races). Back off and retry.
"""

from __future__ import annotations


class AutomationError(Exception):
    """Base of every error a user can act on. `str(err)` is the one line we show."""

    retryable: bool = False


class StalledError(AutomationError):
    """Permanent failure: do not retry until the configuration changes."""

    retryable = False


class TransientError(AutomationError):
    """Temporary failure: back off and retry."""

    retryable = True


class UsageError(AutomationError):
    """The command line itself is wrong (exit code 2)."""


class ConfigError(StalledError):
    """A policy file is invalid. Names the file, the line of the object and the field path."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(text)


class ConfigErrors(StalledError):
    """Several config errors found in one load; each is reported."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class RegistryError(AutomationError):
    """A registry request failed. Names registry, repository and status, never credentials."""

    def __init__(
        self,
        message: str,
        *,
        registry: str = "",
        repository: str = "",
        status: int | None = None,
    ) -> None:
        self.registry = registry
        self.repository = repository
        self.status = status
        parts = [p for p in (registry, repository) if p]
        prefix = "/".join(parts)
        status_text = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{prefix}: {message}{status_text}" if prefix else message + status_text)


class RegistryPermanentError(RegistryError, StalledError):
    """401/403 after auth, 404 unknown repository, invalid name: stalled until config changes."""

    retryable = False


class RegistryTransientError(RegistryError, TransientError):
    """429/5xx, connection errors, timeouts: retried with backoff."""

    retryable = True


class PolicyError(StalledError):
    """A policy definition is invalid (bad range, bad regex, bad order)."""


class NoMatchingTagError(AutomationError):
    """No tag satisfies the policy. Not stalled: a new tag may appear at the next scan."""

    retryable = True


class ManifestError(AutomationError):
    """A manifest could not be read or updated (parse error, path escaping the repository)."""


class GitError(TransientError):
    """A git operation failed in a way that may succeed later (network, push race)."""


class GitAuthError(StalledError):
    """The remote refused our credentials or host key: fix the secret, then retry."""


class StateError(AutomationError):
    """The state store could not be read or written."""
