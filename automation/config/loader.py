"""Turn documents into typed objects and collect them into a `Config`.

Dispatch is by apiVersion + kind. Kinds this tool does not act on (a Deployment, a
HelmRelease, a Kustomization, an Alert next to the policies) are skipped with a debug line,
whatever their group. Inside the Flux groups this tool acts on, a kind Flux does not have, or
a version that is not a version, is an error, because it is almost always a typo. Old API
versions that map onto v1 (Flux's own conversions) load with one warning per object.
"""

from __future__ import annotations

import gc
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from automation.config.base import Object, ObjectKey, SourceLocation
from automation.config.config import Config
from automation.config.documents import Document, read_documents, yaml_files
from automation.config.image import ImagePolicy, ImageRepository
from automation.config.notification import Alert, Provider
from automation.config.receiver import Receiver
from automation.config.request import ChangeRequest
from automation.config.secret import Secret
from automation.config.source import NOT_ACTED_ON, GitRepository
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
# Versions read per group; the older ones warn (Flux no longer serves them, or will not).
VERSIONS = {
    "source.toolkit.fluxcd.io": ("v1", "v1beta2", "v1beta1"),
    "image.toolkit.fluxcd.io": ("v1", "v1beta2", "v1beta1"),
    "notification.toolkit.fluxcd.io": ("v1", "v1beta3", "v1beta2", "v1beta1"),
    "requests.image-automation.io": ("v1alpha1",),
    "": ("v1",),
}
CURRENT_VERSION = "v1"
# Kinds whose newest version is not v1 (Flux has no v1 Alert or Provider).
CURRENT_VERSIONS = {
    ("notification.toolkit.fluxcd.io", "Alert"): "v1beta3",
    ("notification.toolkit.fluxcd.io", "Provider"): "v1beta3",
    ("requests.image-automation.io", "ChangeRequest"): "v1alpha1",
}
# Older versions whose schema maps onto the current one unchanged (Flux served them side by
# side without conversion webhooks): validated as the current version, with a warning.
CONVERTED = {
    ("notification.toolkit.fluxcd.io", "Alert"): ("v1beta2", "v1beta1"),
    ("notification.toolkit.fluxcd.io", "Provider"): ("v1beta2", "v1beta1"),
}
# Every kind of the Flux groups this tool acts on (Flux 2.x CRDs); the ones missing from
# KINDS are skipped like any other kind.
FLUX_KINDS = {
    "source.toolkit.fluxcd.io": (
        "Bucket",
        "ExternalArtifact",
        "GitRepository",
        "HelmChart",
        "HelmRepository",
        "OCIRepository",
    ),
    "image.toolkit.fluxcd.io": ("ImagePolicy", "ImageRepository", "ImageUpdateAutomation"),
    "notification.toolkit.fluxcd.io": ("Alert", "Provider", "Receiver"),
    "requests.image-automation.io": ("ChangeRequest",),
}
OUR_GROUPS = tuple(FLUX_KINDS)
_API_VERSION = re.compile(r"v[1-9][0-9]*(?:(?:alpha|beta)[1-9][0-9]*)?")
# Fields Flux removed in v1 that the older versions of the same kind still carry.
REMOVED_IN_V1 = {
    ("source.toolkit.fluxcd.io", "GitRepository"): ("gitImplementation", "accessFrom"),
}


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


def _where(doc: Document, kind: str) -> str:
    return f"in {_object_name(doc, kind)} at line {doc.line}"


def _errors(doc: Document, kind: str, err: ValidationError) -> list[ConfigError]:
    out = []
    where = _where(doc, kind)
    for e in err.errors(include_url=False, include_input=False):
        loc = [p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-")]
        message = f"{_explain(e)} ({where})"
        out.append(ConfigError(doc.file, doc.line_of(loc), _field_path(loc), message))
    return sorted(out, key=lambda e: e.line or 0)


def _acts_on(group: str, kind: str, data: dict[str, Any]) -> bool:
    """A Receiver that triggers no ImageRepository (Flux's usual GitRepository receivers,
    any type) is for Flux's controllers, not for this tool."""
    if (group, kind) != ("notification.toolkit.fluxcd.io", "Receiver"):
        return True
    spec = data.get("spec")
    resources = spec.get("resources") if isinstance(spec, dict) else None
    if not isinstance(resources, list) or not resources:
        return True
    return any(isinstance(r, dict) and r.get("kind") == "ImageRepository" for r in resources)


def _skipped_kind_error(doc: Document, group: str, kind: str, version: str) -> ConfigError | None:
    """Inside a group we act on: an unknown kind or a malformed version is an error."""
    if group not in OUR_GROUPS:
        return None
    if kind not in FLUX_KINDS[group]:
        known = ", ".join(FLUX_KINDS[group])
        return ConfigError(
            doc.file,
            doc.line_of(["kind"]),
            "kind",
            f"unknown kind {kind!r} in {group} (expected one of {known})",
        )
    if not _API_VERSION.fullmatch(version):
        return ConfigError(
            doc.file,
            doc.line_of(["apiVersion"]),
            "apiVersion",
            f"{group}/{version!r} is not an API version (e.g. {group}/{CURRENT_VERSION})",
        )
    return None


def _warn(notices: list[str] | None, message: str) -> None:
    log.warning("%s", message)
    if notices is not None:
        notices.append(message)


def parse_object(doc: Document, notices: list[str] | None = None) -> Object | None:
    """Validate one document into its model; None for kinds this tool does not act on.
    Warnings (an old API version) are logged and added to `notices`."""
    api_version, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        log.debug("%s:%d: skipping a document without apiVersion/kind", doc.file, doc.line)
        return None
    group, _, version = api_version.rpartition("/")
    model = KINDS.get((group, kind))
    if model is None or not _acts_on(group, kind, doc.data):
        error = _skipped_kind_error(doc, group, kind, version)
        if error is not None:
            raise error
        log.debug("%s:%d: skipping %s %s (not acted on)", doc.file, doc.line, api_version, kind)
        return None
    current = CURRENT_VERSIONS.get((group, kind), CURRENT_VERSION)
    data = doc.data
    if version in CONVERTED.get((group, kind), ()):
        data = {**data, "apiVersion": f"{group}/{current}"}
    elif version not in VERSIONS[group]:
        expected = ", ".join(f"{group}/{v}" if group else v for v in VERSIONS[group])
        raise ConfigError(
            doc.file,
            doc.line_of(["apiVersion"]),
            "apiVersion",
            f"unsupported version {api_version!r} for {kind} (expected {expected})",
        )
    errors: list[ConfigError] = []
    spec = doc.data.get("spec")
    if version == CURRENT_VERSION and isinstance(spec, dict):
        for name in REMOVED_IN_V1.get((group, kind), ()):
            if name in spec:
                errors.append(
                    ConfigError(
                        doc.file,
                        doc.line_of(["spec", name]),
                        f"spec.{name}",
                        f"removed in {api_version}; delete it ({_where(doc, kind)})",
                    )
                )
    try:
        obj = model.model_validate(data, strict=True)
    except ValidationError as err:
        raise ConfigErrors(sorted([*errors, *_errors(doc, kind, err)], key=_line)) from None
    if errors:
        raise ConfigErrors(errors)
    if version != current and group:
        _warn(
            notices,
            f"{doc.file}:{doc.line_of(['apiVersion'])}: {kind} {obj.key} uses {api_version}, "
            f"which Flux deprecated; move it to {group}/{current} (same fields)",
        )
    return obj.located(SourceLocation(doc.file, doc.line), doc.lines)


def _line(error: ConfigError) -> int:
    return error.line or 0


def secrets_paths_from_env() -> list[Path]:
    value = os.environ.get(SECRETS_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def secrets_paths(flag_values: Sequence[Path]) -> list[Path]:
    """`--secrets` when given (it overrides the variable), else $IMAGE_AUTOMATION_SECRETS."""
    return list(flag_values) if flag_values else secrets_paths_from_env()


def _identity(doc: Document) -> tuple[str, ObjectKey]:
    meta = doc.data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace, name = meta.get("namespace", "default"), meta.get("name", "")
    return str(doc.data.get("kind", "")), ObjectKey(str(namespace), str(name))


def _is_secret(doc: Document) -> bool:
    return doc.data.get("apiVersion") == "v1" and doc.data.get("kind") == "Secret"


def _report_inert_fields(config: Config) -> None:
    """One warning per GitRepository field that is accepted but changes nothing here."""
    users: dict[str, list[str]] = defaultdict(list)
    for key, repo in sorted(config.git_repositories.items()):
        for name in repo.spec.inert_fields():
            users[name].append(str(key))
    for name, keys in users.items():
        _warn(
            config.notices,
            f"GitRepository spec.{name} is accepted but not acted on: {NOT_ACTED_ON[name]} "
            f"({', '.join(keys)})",
        )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Loading builds many small containers and models that die by reference counting; the
    cyclic collector's passes over the growing heap cost more than the loading itself
    (5,000 objects: 2.8 s with it, 1.0 s without, on a loaded 2-core box)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_config_report(
    paths: Sequence[Path], secrets_paths: Sequence[Path] = ()
) -> tuple[Config, list[ConfigError]]:
    """Every valid object under `paths` (and Secrets under `secrets_paths`) plus every error,
    in file order. An invalid object is left out; it never hides another object's errors.

    Secrets found among the policy files are never used: one warning names each such file.
    A file named twice (a directory and a file in it, or the same path as policy and secrets
    path) is read once; a path given as a secrets path counts as one.
    """
    with _cyclic_gc_paused():
        return _load(paths, secrets_paths)


def _load(paths: Sequence[Path], secrets_paths: Sequence[Path]) -> tuple[Config, list[ConfigError]]:
    config = Config()
    errors: list[ConfigError] = []
    sources: dict[Path, tuple[Path, bool]] = {}  # resolved -> (as named, from a secrets path)
    for group, from_secrets in ((paths, False), (secrets_paths, True)):
        for path in group:
            try:
                for file in yaml_files([path]):
                    named, secret = sources.get(file.resolve(), (file, False))
                    sources[file.resolve()] = (named, secret or from_secrets)
            except ConfigError as err:
                errors.append(err)
    for file, from_secrets in sources.values():
        ignored_secrets = 0
        try:
            for doc in read_documents(file):
                if not from_secrets and _is_secret(doc):
                    ignored_secrets += 1
                    continue
                try:
                    obj = parse_object(doc, config.notices)
                except ConfigErrors as many:
                    errors.extend(many.errors)
                    config.invalid.add(_identity(doc))
                    continue
                except ConfigError as one:
                    errors.append(one)
                    config.invalid.add(_identity(doc))
                    continue
                if obj is not None:
                    errors.extend(config.add(obj))
        except ConfigError as err:
            errors.append(err)
        if ignored_secrets:
            _warn(
                config.notices,
                f"{file}: {ignored_secrets} Secret(s) among the policy files ignored: Secrets "
                f"are read only from --secrets / ${SECRETS_ENV} paths (keep them out of git)",
            )
    _report_inert_fields(config)
    return config, errors


def load_config(paths: Sequence[Path], secrets_paths: Sequence[Path] = ()) -> Config:
    """Load every object under `paths` (and Secrets under `secrets_paths`); raise all errors."""
    config, errors = load_config_report(paths, secrets_paths)
    if errors:
        raise ConfigErrors(errors)
    return config
