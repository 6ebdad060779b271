"""Rewrite marked YAML values byte-exactly (the only importer of ruamel.yaml).

In: a checked-out directory, the automation's `update.path`, the latest refs of the policies
it selects. Out: an `UpdateResult` (file -> object -> changes, markers not applied, files
that failed). Only the marked scalars change; every other byte of a file stays as it was.

    from automation.manifests import apply_refs
    result = apply_refs(repo_root, spec.update.path, refs, namespace=automation_namespace)
"""

from automation.changeset import (
    Change,
    ChangeSet,
    FileChanges,
    ObjectChanges,
    ObjectId,
    build_changeset,
)
from automation.manifests.apply import PolicyName, UpdateResult, apply_refs
from automation.manifests.document import MarkerNote, TextUpdate, update_text
from automation.manifests.markers import BadMarker, Marker, parse_marker
from automation.manifests.walk import ProblemFile

__all__ = [
    "BadMarker",
    "Change",
    "ChangeSet",
    "FileChanges",
    "Marker",
    "MarkerNote",
    "ObjectChanges",
    "ObjectId",
    "PolicyName",
    "ProblemFile",
    "TextUpdate",
    "UpdateResult",
    "apply_refs",
    "build_changeset",
    "parse_marker",
    "update_text",
]
