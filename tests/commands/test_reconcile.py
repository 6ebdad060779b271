"""`reconcile`'s summary: one line per object saying what happened, and the `-o json` data."""

from __future__ import annotations

from automation.commands.reconcile import _data, _lines
from automation.reconcile import CycleReport
from automation.reference import LatestRef
from automation.steps.automate import AutomationOutcome
from automation.steps.evaluate import PolicyOutcome
from automation.steps.scan import RepositoryOutcome

NEW = LatestRef("ghcr.io/org/app", "1.1.0")
REPORT = CycleReport(
    [
        RepositoryOutcome("apps/app", tag_count=12, changed=True),
        RepositoryOutcome("apps/other", skipped="not due"),
        RepositoryOutcome("apps/down", error="HTTP 503"),
    ],
    [
        PolicyOutcome("apps/app", latest=NEW, changed=True, reason="new tag"),
        PolicyOutcome("apps/same", latest=NEW),
    ],
    [
        AutomationOutcome(
            "apps/fleet", commit="0123456789", branch="main", changes=2, attempts=1, notes=("n",)
        ),
        AutomationOutcome("apps/dry", changes=1, diffs={"a.yaml": "-\n+\n"}),
        AutomationOutcome("apps/idle"),
    ],
)


def test_one_line_per_object() -> None:
    assert _lines(REPORT) == [
        "ImageRepository apps/app: 12 tags (new)",
        "ImageRepository apps/other: not due",
        "ImageRepository apps/down: HTTP 503",
        "ImagePolicy apps/app: ghcr.io/org/app:1.1.0 (new tag)",
        "ImagePolicy apps/same: ghcr.io/org/app:1.1.0 (unchanged)",
        "ImageUpdateAutomation apps/fleet: pushed 0123456 to main (2 change(s), 1 attempt(s))",
        "  note: n",
        "ImageUpdateAutomation apps/dry: would change 1 value(s)",
        "ImageUpdateAutomation apps/idle: no change",
    ]


def test_the_data_says_failed_and_spells_refs_as_flux_does() -> None:
    data = _data(REPORT)
    assert data["failed"] is True  # the repository that answered 503
    assert data["policies"][0]["latest"] == NEW.to_dict()
    assert data["policies"][0]["previous"] is None
    assert [a["key"] for a in data["automations"]] == ["apps/fleet", "apps/dry", "apps/idle"]
