"""How an update result is shown: one line per change, notices, and the `-o json` dict."""

from __future__ import annotations

from automation.changeset import Change, ObjectId, build_changeset
from automation.manifests.apply import UpdateResult
from automation.manifests.document import MarkerNote
from automation.manifests.report import change_lines, notice_lines, result_to_dict
from automation.manifests.walk import ProblemFile

APP = ObjectId("apps/v1", "Deployment", "apps", "app")
RESULT = UpdateResult(
    build_changeset(
        [
            ("b.yaml", ObjectId(), Change("", "1.1", "apps:app:tag", 3)),
            ("a.yaml", APP, Change("r/app:1.0", "r/app:1.1", "apps:app", 9)),
        ]
    ),
    skipped_markers=(MarkerNote("a.yaml", 4, "apps:gone", "unknown-policy", "no such policy"),),
    problem_files=(ProblemFile("c.yaml", 2, "not YAML"),),
    warnings=(MarkerNote("a.yaml", 5, "apps:app:digest", "empty-digest", "no digest yet"),),
    diffs={"b.yaml": "-\n+1.1\n", "a.yaml": "-1.0\n+1.1\n"},
)


def test_change_lines_name_file_line_values_setter_and_object() -> None:
    assert change_lines(RESULT) == [
        "a.yaml:9: r/app:1.0 -> r/app:1.1 (apps:app) in Deployment/apps/app",
        'b.yaml:3: "" -> 1.1 (apps:app:tag)',
    ]


def test_notice_lines() -> None:
    assert notice_lines(RESULT) == [
        'skipped: a.yaml:4: marker "apps:gone": no such policy',
        'warning: a.yaml:5: marker "apps:app:digest": no digest yet',
        "error: c.yaml:2: not YAML",
    ]


def test_the_dict_has_diffs_only_for_a_dry_run() -> None:
    data = result_to_dict(RESULT)
    assert data["dryRun"] is False and "diffs" not in data
    assert data["skippedMarkers"] == [
        {
            "path": "a.yaml",
            "line": 4,
            "marker": "apps:gone",
            "reason": "unknown-policy",
            "message": "no such policy",
        }
    ]
    assert data["problemFiles"] == [{"path": "c.yaml", "line": 2, "message": "not YAML"}]
    dry = result_to_dict(RESULT, dry_run=True)
    assert list(dry["diffs"]) == ["a.yaml", "b.yaml"]  # type: ignore[call-overload]


def test_objects_without_namespace_or_name_show_only_what_they_have() -> None:
    kustomization = ObjectId("kustomize.config.k8s.io/v1beta1", "Kustomization")
    unnamespaced = ObjectId("apps/v1", "Deployment", "", "web")
    result = UpdateResult(
        build_changeset(
            [
                ("k.yaml", kustomization, Change("1.0", "1.1", "apps:app:tag", 7)),
                ("d.yaml", unnamespaced, Change("1.0", "1.1", "apps:app:tag", 2)),
            ]
        )
    )
    assert change_lines(result) == [
        "d.yaml:2: 1.0 -> 1.1 (apps:app:tag) in Deployment/web",
        "k.yaml:7: 1.0 -> 1.1 (apps:app:tag) in Kustomization",
    ]
