"""Where the state lives: a SQLite file path or a `postgresql://` URL, and its password.

The URL names host, port, database, user and options; the password never rides in it (process
arguments and environment listings are readable by others on the host). libpq reads
`PGPASSWORD` and `PGPASSFILE` itself; a Kubernetes Secret mounted as a file is named by
`$IMAGE_AUTOMATION_STATE_PASSWORD_FILE`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from automation.errors import UsageError

PASSWORD_FILE_ENV = "IMAGE_AUTOMATION_STATE_PASSWORD_FILE"
SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class ServerLocation:
    """A PostgreSQL URL without a password, and the password read from a file (if any)."""

    url: str
    password: str | None = None

    def __str__(self) -> str:
        return self.url


def is_server_url(text: str) -> bool:
    return text.startswith(SCHEMES)


def server_location(url: str, password_file: Path | None = None) -> ServerLocation:
    """Check `url` carries no password; read the password file named here or in the env."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.password is not None or "password" in query:
        raise UsageError(
            "state URL: put the password in PGPASSWORD, PGPASSFILE or "
            f"${PASSWORD_FILE_ENV}, not in the URL"
        )
    named = password_file or _env_path(PASSWORD_FILE_ENV)
    if named is None:
        return ServerLocation(url)
    try:
        # A Secret's key file: the whole content is the password; one trailing newline is
        # an editor's, not the password's.
        text = named.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"state password file {named}: {err.strerror}") from None
    return ServerLocation(url, text.removesuffix("\n"))


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None
