"""Where an image was built from, and the links a reviewer follows. Pure.

In: an image's OCI annotation labels (``org.opencontainers.image.source``, ``.revision``,
``.version``, ``.url``; see opencontainers/image-spec annotations.md), already read from
its config. Out: ``ImageSource`` (the cleaned values) and ``SourceChange`` (one image from
an old to a new tag: the source link and, for repositories on GitHub, GitLab or
Gitea/Forgejo, a compare link between the two revisions).

Labels are written by whoever built the image: hostile input. Every value is bounded and
loses its control and format characters; only ``http``/``https`` URLs without credentials,
spaces or markup characters become links; a revision goes into a compare URL only when it
looks like a git object name or a plain ref name. Nothing is ever interpreted further.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"
VERSION = "org.opencontainers.image.version"
URL = "org.opencontainers.image.url"
LABELS = (SOURCE, REVISION, VERSION, URL)

MAX_RAW = 4096  # a longer label is dropped, not cut
MAX_VALUE = 512
MAX_REVISION = 128
_REVISION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/+-]*")
# Characters that would end a URL or turn it into markup in Markdown, HTML, Slack or chat.
_UNSAFE_URL = re.compile(r"[\s<>\"'`\\|{}^\[\]]")
_HOSTS = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "gitea.com": "gitea",
    "codeberg.org": "gitea",
}
# Self-hosted forges are recognised by the first label of their host name.
_HOST_PREFIXES = {"github": "github", "gitlab": "gitlab", "gitea": "gitea", "forgejo": "gitea"}


def clean_label(value: object) -> str:
    """A label value as text: non-strings and over-long values are dropped (''), control and
    format characters removed, surrounding space stripped, at most ``MAX_VALUE`` long."""
    if not isinstance(value, str) or len(value) > MAX_RAW:
        return ""
    kept = "".join(c for c in value if unicodedata.category(c)[0] != "C")
    return kept.strip()[:MAX_VALUE]


def link(value: str) -> str:
    """``value`` if it is an absolute http(s) URL safe to show as a link, else ''."""
    if not value or len(value) > MAX_VALUE or _UNSAFE_URL.search(value):
        return ""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    if "@" in parts.netloc or (port is not None and not 0 < port < 65536):
        return ""  # no credentials in links we hand to templates and chat
    return value


def revision(value: str) -> str:
    """A revision that can go into a compare URL's path: a commit hash or a ref name."""
    if len(value) > MAX_REVISION or not _REVISION.fullmatch(value) or ".." in value:
        return ""
    return value


@dataclass(frozen=True)
class ImageSource:
    """An image's cleaned source labels; '' where absent or refused."""

    source: str = ""  # the repository URL (only ever a safe http(s) URL)
    revision: str = ""
    version: str = ""
    url: str = ""  # the image's home page (only ever a safe http(s) URL)

    @classmethod
    def from_labels(cls, labels: Mapping[str, object]) -> ImageSource:
        return cls(
            source=link(clean_label(labels.get(SOURCE))),
            revision=clean_label(labels.get(REVISION))[:MAX_REVISION],
            version=clean_label(labels.get(VERSION)),
            url=link(clean_label(labels.get(URL))),
        )

    def __bool__(self) -> bool:
        return bool(self.source or self.revision or self.version or self.url)


def repository_url(source: str) -> tuple[str, str]:
    """(forge kind, repository URL) of a source URL on a known forge, else ('', '').

    ``https://github.com/o/r.git`` and ``https://github.com/o/r/tree/main/x`` both give
    ``https://github.com/o/r``; GitLab keeps nested groups up to ``/-/``.
    """
    if not source:
        return "", ""
    parts = urlsplit(source)
    host = (parts.hostname or "").lower()
    kind = _HOSTS.get(host) or _HOST_PREFIXES.get(host.split(".", 1)[0], "")
    if not kind or host.count(".") < 1:
        return "", ""
    segments = [s for s in parts.path.split("/") if s]
    if kind == "gitlab":
        segments = segments[: segments.index("-")] if "-" in segments else segments
    else:
        segments = segments[:2]
    if len(segments) < 2:
        return "", ""
    segments[-1] = segments[-1].removesuffix(".git")
    if not segments[-1]:
        return "", ""
    return kind, f"{parts.scheme.lower()}://{parts.netloc}/{'/'.join(segments)}"


def compare_url(source: str, old: str, new: str) -> str:
    """The forge's page comparing two revisions of the repository at ``source``, or ''."""
    old, new = revision(old), revision(new)
    kind, repo = repository_url(source)
    if not (kind and old and new) or old == new:
        return ""
    middle = "/-/compare/" if kind == "gitlab" else "/compare/"
    return f"{repo}{middle}{old}...{new}"


@dataclass(frozen=True)
class SourceChange:
    """One policy's image moving from an old tag to a new one, with both images' sources."""

    policy: str  # namespace/name of the ImagePolicy
    image: str
    old_tag: str
    new_tag: str
    old: ImageSource
    new: ImageSource

    @property
    def source_url(self) -> str:
        return self.new.source or self.old.source

    @property
    def compare_url(self) -> str:
        """Between the two revisions, when both images name the same repository."""
        repo = repository_url(self.new.source)[1]
        if not repo or repository_url(self.old.source)[1].lower() != repo.lower():
            return ""
        return compare_url(self.new.source, self.old.revision, self.new.revision)

    @property
    def best_link(self) -> str:
        """What a one-line summary links to: the compare page, else the source."""
        return self.compare_url or self.source_url

    def to_dict(self) -> dict[str, str]:
        """The template's field names, for ``-o json``."""
        return {
            "policy": self.policy,
            "image": self.image,
            "oldTag": self.old_tag,
            "newTag": self.new_tag,
            "source": self.source_url,
            "url": self.new.url,
            "revision": self.new.revision,
            "oldRevision": self.old.revision,
            "version": self.new.version,
            "oldVersion": self.old.version,
            "compareURL": self.compare_url,
        }

    def summary(self) -> str:
        """``image: old -> new <link>``, one line."""
        text = f"{self.image}: {self.old_tag or 'nothing'} -> {self.new_tag}"
        return f"{text} {self.best_link}" if self.best_link else text
