"""Re-read the policy sources each cycle; keep the last good config when the new one is broken.

In: the sources, secrets paths, cache directory and the config loaded at start-up. Out:
`reload() -> Config | None`, a new config only when the files changed (None when nothing
changed or the new files are broken: the error is logged with file:line and kept in
`last_error` for health reporting).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from automation.config import Config
from automation.daemon.policysource import LoadedConfig, PolicySource, load_if_changed
from automation.errors import AutomationError, ConfigErrors

log = logging.getLogger("automation.daemon")


def policy_cache(cache: Path) -> Path:
    """Clones of policy sources live apart from the automations' clones of the same URL."""
    return cache / "policy-sources"


class ConfigReloader:
    def __init__(
        self,
        sources: Sequence[PolicySource],
        secrets: Sequence[Path],
        cache: Path,
        loaded: LoadedConfig,
    ) -> None:
        self.sources = tuple(sources)
        self.secrets = tuple(secrets)
        self.cache = policy_cache(cache)
        self.current = loaded
        self.last_error = ""

    def reload(self) -> Config | None:
        try:
            loaded = load_if_changed(self.sources, self.secrets, self.cache, self.current)
        except AutomationError as err:
            problems = err.errors if isinstance(err, ConfigErrors) else [err]
            text = "\n".join(str(p) for p in problems)
            if text != self.last_error:
                for problem in problems:
                    log.error(
                        "config reload failed, keeping the last good config: %s",
                        problem,
                        extra={"fields": {"revisions": self.current.revisions}},
                    )
            self.last_error = text
            return None
        self.last_error = ""
        if loaded is None or loaded.config == self.current.config:
            return None
        log.info(
            "config reloaded: %d objects",
            loaded.config.object_count,
            extra={"fields": {"revisions": loaded.revisions}},
        )
        self.current = loaded
        return loaded.config
