"""Commit messages rendered from the automation's ``messageTemplate``, exactly as Flux does.

In: the template text, the automation's namespace/name, ``messageTemplateValues`` and the
``ChangeSet`` of a run. Out: the commit message (str), or a ``MessageTemplateError``.

Flux parses ``spec.git.commit.messageTemplate`` with Go's ``text/template`` plus Sprig's
hermetic functions and executes it over ``TemplateData`` (see ``fluxdata``); so does this
module, through ``automation.gotemplate``. An empty template means Flux's default, the
single line ``Update from image update automation``. Rendering is bounded (output size,
steps, time) and sees nothing but this data.

``check_template`` is what ``validate`` runs: parse, then render against a sample change
set, so a template that can never render is reported with its line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.errors import StalledError
from automation.git.fluxdata import TemplateData, template_data
from automation.gotemplate import (
    UNSUPPORTED_SPRIG,
    ExecError,
    Limits,
    ParseError,
    Template,
    TemplateError,
    parse,
)
from automation.sourcelinks import ImageSource, SourceChange

# internal/source/source.go defaultMessageTemplate, byte for byte.
DEFAULT_TEMPLATE = "Update from image update automation"
TEMPLATE_NAME = "commit message"
LIMITS = Limits(max_output=256 * 1024, max_steps=200_000, max_seconds=2.0)

_DOCS = "See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
# Flux maps these execution errors to RemovedTemplateFieldError (source.go).
_REMOVED = (
    (
        "can't evaluate field Updated in type source.TemplateData",
        "template uses removed '.Updated' field. Please use '.Changed' instead. "
        "For '{{ range .Updated.Images }}' write '{{ range .Changed.Changes }}"
        "{{ .NewValue }}{{ end }}'; for '.Updated.Files' and '.Updated.Objects' use "
        "'.Changed.FileChanges' and '.Changed.Objects'. " + _DOCS,
    ),
    (
        "can't evaluate field ImageResult in type update.Result",
        "template uses removed '.Changed.ImageResult' field. Please use "
        "'.Changed.FileChanges' or '.Changed.Objects' instead. " + _DOCS,
    ),
)
_JINJA = re.compile(r"\{%-?\s*(for|endfor|if|elif|else|endif|set|macro|block|raw)\b")
_UNDEFINED_FUNC = re.compile(r'function "([A-Z]\w*)" not defined')
_UNDEFINED_ANY = re.compile(r'function "(\w+)" not defined')


class MessageTemplateError(StalledError):
    """The commit message template is invalid or fails to render."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


def _hint(err: TemplateError) -> str:
    """Flux's wording for removed fields; a pointer for Jinja2 habits."""
    text = str(err)
    for needle, replacement in _REMOVED:
        if needle in text:
            return replacement
    unsupported = _UNDEFINED_ANY.search(text)
    if unsupported and unsupported.group(1) in UNSUPPORTED_SPRIG:
        return f"{text} (a Sprig function this tool does not implement)"
    missing = _UNDEFINED_FUNC.search(text)
    if missing:
        return f"{text} (fields start with a dot in Go templates: '{{{{ .{missing.group(1)} }}}}')"
    return text


def _compile(source: str) -> Template:
    jinja = _JINJA.search(source)
    if jinja:
        line = source.count("\n", 0, jinja.start()) + 1
        raise MessageTemplateError(
            f"template line {line}: '{jinja.group(0)}' is Jinja2 syntax; messageTemplate is a Go "
            "text/template, e.g. '{{ range .Changed.Changes }}{{ .NewValue }}{{ end }}'",
            line,
        )
    try:
        return parse(source, TEMPLATE_NAME)
    except ParseError as err:
        raise MessageTemplateError(
            f"template line {err.line}: unable to create commit message template from spec: "
            + _hint(err),
            err.line,
        ) from None


def render(template: Template, data: TemplateData) -> str:
    try:
        return template.execute(data, LIMITS)
    except ExecError as err:
        hint = _hint(err)
        prefix = "" if hint != str(err) else "failed to run template from spec: "
        raise MessageTemplateError(f"template line {err.line}: {prefix}{hint}", err.line) from None


def sample_changes() -> ChangeSet:
    """Changes of the shapes Flux produces: several files and objects, a file without
    Kubernetes identity (kustomization.yaml), one change repeated in two files."""
    web = ObjectId("apps/v1", "Deployment", "apps", "web")
    return build_changeset(
        [
            (
                "apps/web.yaml",
                web,
                Change("ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0", "flux-system:web"),
            ),
            ("apps/web.yaml", web, Change("1.0.0", "1.1.0", "flux-system:web:tag")),
            (
                "apps/kustomization.yaml",
                ObjectId(),
                Change("ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0", "flux-system:web"),
            ),
        ]
    )


def sample_sources() -> dict[str, SourceChange]:
    """The sample change set's image with sources on both sides, so ``.Sources`` fields
    are checked too."""
    repo = "https://github.com/acme/web"
    old = ImageSource(repo, "0123456789abcdef0123456789abcdef01234567", "1.0.0")
    new = ImageSource(repo, "fedcba9876543210fedcba9876543210fedcba98", "1.1.0", repo)
    change = SourceChange("flux-system/web", "ghcr.io/acme/web", "1.0.0", "1.1.0", old, new)
    return {change.policy: change}


def check_template(template: str, values: Mapping[str, str] | None = None) -> None:
    """Raise ``MessageTemplateError`` (with the template line) unless ``template``
    parses and renders over a sample change set."""
    compiled = _compile(template or DEFAULT_TEMPLATE)
    data = template_data("flux-system", "sample", values or {}, sample_changes(), sample_sources())
    try:
        render(compiled, data)
    except MessageTemplateError as err:
        # A function failing on the sample's values (index out of range, a regex that
        # does not match) may succeed on real changes; only structural errors count.
        if ": error calling " not in str(err):
            raise


@dataclass(frozen=True)
class MessageTemplate:
    """A parsed template plus its fixed data; call it with a ``ChangeSet`` to render.

    Construction parses the template, so a syntax error is reported before any git work.
    ``sources`` (by policy key) feed ``.Sources``; ``with_sources`` adds them to a parsed one.
    """

    template: str
    namespace: str
    name: str
    values: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, SourceChange] = field(default_factory=dict)
    compiled: Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = _compile(self.source)
        except MessageTemplateError as err:
            raise MessageTemplateError(f"commit message template: {err}", err.line) from None
        object.__setattr__(self, "compiled", compiled)

    @property
    def source(self) -> str:
        return self.template or DEFAULT_TEMPLATE

    def with_sources(self, sources: Mapping[str, SourceChange]) -> MessageTemplate:
        twin = copy.copy(self)  # the parsed template is shared, not parsed again
        object.__setattr__(twin, "sources", sources)  # may be read on demand: kept as is
        return twin

    def __call__(self, changes: ChangeSet) -> str:
        data = template_data(self.namespace, self.name, self.values, changes, self.sources)
        try:
            return render(self.compiled, data)
        except MessageTemplateError as err:
            raise MessageTemplateError(f"commit message template: {err}", err.line) from None
