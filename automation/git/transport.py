"""Which git URLs we talk to, and the git config that pins a child to that one transport.

In: a remote URL (from a GitRepository in a policy file, or the operator's policy source)
and whether ``file://`` is allowed for it. Out: the URL's ``Transport`` (scheme and
origin), or a ``StalledError`` saying what is wrong and where credentials belong.

Why: a URL is untrusted input. Git picks a transport from it, including ``ext::<command>``
and any ``<helper>::`` remote helper (git-remote-ext(1)), and an http(s) URL's user part
reaches the process arguments of git and its helpers (``/proc/<pid>/cmdline``). So:
- only ``http``, ``https``, ``ssh`` (also scp-like ``user@host:path``) and, where the
  operator allows it, ``file`` are accepted; every git child gets ``protocol.allow=never``
  plus ``always`` for exactly that scheme, and ``GIT_PROTOCOL_FROM_USER=0`` (git-config(1),
  ``protocol.allow``), so nothing in the URL, a redirect or a submodule can switch transport;
- an http(s) URL may not carry userinfo: credentials go in the GitRepository's ``secretRef``;
- nothing may start with ``-`` (host or URL), as git's own check for ssh hosts does.

``file://`` reads and writes any repository the daemon's user can reach, so a policy file
may use it only when the operator sets ``IMAGE_AUTOMATION_ALLOW_FILE_REMOTES=1``; the
operator's own policy source (``--policies git+file://...``) is always allowed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from automation.errors import StalledError
from automation.logs import redact_url

ALLOW_FILE_ENV = "IMAGE_AUTOMATION_ALLOW_FILE_REMOTES"
_SCHEMES = {"http": "http", "https": "https", "ssh": "ssh", "git+ssh": "ssh", "ssh+git": "ssh"}
_SCP_LIKE = re.compile(r"^(?P<user>[\w.][\w.-]*@)?(?P<host>[\w.][\w.-]*):(?!//)(?P<path>.+)$")


@dataclass(frozen=True)
class Transport:
    scheme: str  # the git protocol name: http, https, ssh or file
    origin: str  # scheme://host[:port] for http(s); empty otherwise
    host: str  # host[:port] as git's credential protocol names it; empty for file

    def config(self) -> list[tuple[str, str]]:
        """``protocol.*`` settings allowing this transport and no other."""
        return [("protocol.allow", "never"), (f"protocol.{self.scheme}.allow", "always")]


def file_remotes_allowed() -> bool:
    return os.environ.get(ALLOW_FILE_ENV, "").strip().lower() in ("1", "true", "yes")


def _refuse(url: str, why: str) -> StalledError:
    return StalledError(f"git URL {redact_url(url)!r}: {why}")


def _network(url: str, scheme: str) -> Transport:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or host.startswith("-"):
        raise _refuse(url, "has no valid host")
    if scheme in ("http", "https") and (parts.username is not None or parts.password is not None):
        raise _refuse(
            url,
            "carries credentials in its user part, where process listings show them; "
            "remove them and reference a Secret with username/password or bearerToken "
            "from the GitRepository's spec.secretRef",
        )
    netloc = parts.netloc.rpartition("@")[2]
    return Transport(scheme, f"{scheme}://{netloc}", netloc)


def check_url(url: str, *, allow_file: bool | None = None) -> Transport:
    """The URL's transport, or a ``StalledError``. ``allow_file`` None reads the environment."""
    if not url or url.startswith("-") or any(ord(c) <= 0x20 or c == "\x7f" for c in url):
        raise _refuse(url, "must not start with '-' or contain spaces or control characters")
    scheme, sep, _ = url.partition("://")
    if sep and scheme.lower() in _SCHEMES:
        return _network(url, _SCHEMES[scheme.lower()])
    if sep and scheme.lower() == "file":
        if not (file_remotes_allowed() if allow_file is None else allow_file):
            raise _refuse(
                url,
                f"file:// remotes are disabled; the operator enables them with {ALLOW_FILE_ENV}=1",
            )
        return Transport("file", "", "")
    scp = _SCP_LIKE.match(url)
    if not sep and scp and "::" not in url:
        return Transport("ssh", "", scp["host"])
    raise _refuse(url, "only http(s)://, ssh://, user@host:path and file:// remotes are supported")
