"""Turn documents into typed objects and collect them into a `Config`.

Dispatch is by apiVersion + kind. Unknown kinds (a Deployment next to the policies) are skipped
with a debug log; a kind or version inside our API groups that we do not know is an error,
because it is almost always a typo.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from automation.config.base import Object, SourceLocation
from automation.config.config import Config
from automation.config.documents import Document, read_documents, yaml_files
from automation.config.image import ImagePolicy, ImageRepository
from automation.config.notification import Alert, Provider
from automation.config.receiver import Receiver
from automation.config.request import ChangeRequest
from automation.config.secret import Secret
from automation.config.source import GitRepository
from automation.config.update import ImageUpdateAutomation
from automation.errors import ConfigError, ConfigErrors

log = logging.getLogger(__name__)

SECRETS_ENV = "IMAGE_AUTOMATION_SECRETS"

KINDS: dict[tuple[str, str], type[Object]] = {
    ("source.toolkit.fluxcd.io", "GitRepository"): GitRepository,
    ("image.toolkit.fluxcd.io", "ImageRepository"): ImageRepository,
    ("image.toolkit.fluxcd.io", "ImagePolicy"): ImagePolicy,
    ("image.toolkit.fluxcd.io", "ImageUpdateAutomation"): ImageUpdateAutomation,
    ("notification.toolkit.fluxcd.io", "Receiver"): Receiver,
    ("notification.toolkit.fluxcd.io", "Provider"): Provider,
    ("notification.toolkit.fluxcd.io", "Alert"): Alert,
    ("requests.image-automation.io", "ChangeRequest"): ChangeRequest,
    ("", "Secret"): Secret,
}
VERSIONS = {
    "source.toolkit.fluxcd.io": ("v1", "v1beta2"),
    "image.toolkit.fluxcd.io": ("v1", "v1beta2"),
    "notification.toolkit.fluxcd.io": ("v1", "v1beta2", "v1beta3"),
    "requests.image-automation.io": ("v1alpha1",),
    "": ("v1",),
}
OUR_GROUPS = (
    "source.toolkit.fluxcd.io",
    "image.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "requests.image-automation.io",
)


def _explain(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; unknown fields are not allowed)"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _field_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _object_name(doc: Document, kind: str) -> str:
    meta = doc.data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{kind} {name}" if isinstance(name, str) else kind


def _errors(doc: Document, kind: str, err: ValidationError) -> list[ConfigError]:
    out = []
    where = f"in {_object_name(doc, kind)} at line {doc.line}"
    for e in err.errors(include_url=False, include_input=False):
        loc = [p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-")]
        message = f"{_explain(e)} ({where})"
        out.append(ConfigError(doc.file, doc.line_of(loc), _field_path(loc), message))
    return sorted(out, key=lambda e: e.line or 0)


def parse_object(doc: Document) -> Object | None:
    """Validate one document into its model; None for kinds that are not ours."""
    api_version, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        log.debug("%s:%d: skipping a document without apiVersion/kind", doc.file, doc.line)
        return None
    group, _, version = api_version.rpartition("/")
    model = KINDS.get((group, kind))
    if model is None:
        if group in OUR_GROUPS:
            known = sorted(k for g, k in KINDS if g == group)
            raise ConfigError(
                doc.file,
                doc.line_of(["kind"]),
                "kind",
                f"unknown kind {kind!r} in {group} (expected one of {', '.join(known)})",
            )
        log.debug("%s:%d: skipping %s %s", doc.file, doc.line, api_version, kind)
        return None
    if version not in VERSIONS[group]:
        expected = ", ".join(f"{group}/{v}" if group else v for v in VERSIONS[group])
        raise ConfigError(
            doc.file,
            doc.line_of(["apiVersion"]),
            "apiVersion",
            f"unsupported version {api_version!r} for {kind} (expected {expected})",
        )
    try:
        obj = model.model_validate(doc.data, strict=True)
    except ValidationError as err:
        raise ConfigErrors(_errors(doc, kind, err)) from None
    return obj.located(SourceLocation(doc.file, doc.line))


def secrets_paths_from_env() -> list[Path]:
    value = os.environ.get(SECRETS_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def load_config(paths: Sequence[Path], secrets_paths: Sequence[Path] = ()) -> Config:
    """Load every object under `paths` (and Secrets under `secrets_paths`); raise all errors."""
    config = Config()
    errors: list[ConfigError] = []
    sources: list[tuple[Path, bool]] = []
    for group, from_secrets in ((paths, False), (secrets_paths, True)):
        for path in group:
            try:
                sources += [(p, from_secrets) for p in yaml_files([path])]
            except ConfigError as err:
                errors.append(err)
    for file, from_secrets in sources:
        try:
            for doc in read_documents(file):
                try:
                    obj = parse_object(doc)
                except ConfigErrors as many:
                    errors.extend(many.errors)
                    continue
                except ConfigError as one:
                    errors.append(one)
                    continue
                if obj is None:
                    continue
                if isinstance(obj, Secret) and not from_secrets:
                    log.warning("%s: a Secret in the policy files; keep secrets out of git", file)
                errors.extend(config.add(obj))
        except ConfigError as err:
            errors.append(err)
    if errors:
        raise ConfigErrors(errors)
    return config
