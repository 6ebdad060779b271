"""Update windows and freeze periods: open or closed at `now`, and until when changes wait;
an automation outside its windows pushes nothing to a real remote, inside it does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.cli import main
from automation.config import ImageUpdateAutomation, load_config
from automation.reference import LatestRef
from automation.state import PolicyRecord, open_store
from automation.steps.automate import run_automation
from automation.steps.windows import WindowError, schedule_of, window_state
from tests.rig.git_remotes import GitRemote, log, read_file_at, seed

SAT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # a Saturday


def automation(annotations: dict[str, str], url: str = "file:///nonexistent.git") -> str:
    notes = json.dumps(annotations)
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata: {name: fleet, namespace: apps}\n"
        f"spec: {{url: '{url}', ref: {{branch: main}}}}\n"
        "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n"
        f"metadata: {{name: fleet, namespace: apps, annotations: {notes}}}\n"
        "spec:\n  interval: 1h\n  sourceRef: {kind: GitRepository, name: fleet}\n"
        "  git:\n    commit: {author: {name: bot, email: bot@example.com}}\n"
        "    push: {branch: main}\n  update: {path: ./, strategy: Setters}\n"
    )


def load_auto(tmp_path: Path, annotations: dict[str, str]) -> ImageUpdateAutomation:
    (tmp_path / "a.yaml").write_text(automation(annotations))
    return next(iter(load_config([tmp_path / "a.yaml"]).automations.values()))


WEEKDAYS = {
    "image-automation.io/update-windows": "0 9 * * mon-fri 8h",
    "image-automation.io/update-time-zone": "Europe/Berlin",
}
FREEZE = {"image-automation.io/freeze-periods": "2026-12-20T00:00:00Z/2027-01-04T00:00:00+01:00"}


@pytest.mark.parametrize(
    ("annotations", "now", "open_", "until", "reason"),
    [
        ({}, SAT, True, None, ""),
        # Saturday: closed until Monday 09:00 in Berlin (08:00 UTC in winter).
        (WEEKDAYS, SAT, False, datetime(2026, 11, 23, 8, tzinfo=UTC), "outside"),
        (WEEKDAYS, datetime(2026, 11, 23, 8, tzinfo=UTC), True, None, ""),
        (WEEKDAYS, datetime(2026, 11, 23, 15, 59, tzinfo=UTC), True, None, ""),
        # 17:00 Berlin closes the window: [open, close).
        (
            WEEKDAYS,
            datetime(2026, 11, 23, 16, tzinfo=UTC),
            False,
            datetime(2026, 11, 24, 8, tzinfo=UTC),
            "outside",
        ),
        (
            FREEZE,
            datetime(2026, 12, 24, tzinfo=UTC),
            False,
            datetime(2027, 1, 3, 23, tzinfo=UTC),
            "frozen",
        ),
        (FREEZE, datetime(2027, 1, 3, 23, tzinfo=UTC), True, None, ""),
        # Frozen, and the freeze ends on a Sunday: the next weekday window.
        (
            WEEKDAYS | FREEZE,
            datetime(2026, 12, 24, tzinfo=UTC),
            False,
            datetime(2027, 1, 4, 8, tzinfo=UTC),
            "frozen",
        ),
    ],
)
def test_window_state(
    tmp_path: Path,
    annotations: dict[str, str],
    now: datetime,
    open_: bool,
    until: datetime | None,
    reason: str,
) -> None:
    state = window_state(schedule_of(load_auto(tmp_path, annotations)), now)
    assert (state.open, state.until) == (open_, until)
    assert state.reason.startswith(reason)


def test_a_window_that_never_opens_again_says_so(tmp_path: Path) -> None:
    forever = {"image-automation.io/freeze-periods": "2026-01-01T00:00:00Z/9999-12-31T00:00:00Z"}
    state = window_state(schedule_of(load_auto(tmp_path, forever)), SAT)
    assert not state.open and state.until == datetime(9999, 12, 31, tzinfo=UTC)
    never = {"image-automation.io/update-windows": "0 0 30 2 * 1h"}  # 30 February
    state = window_state(schedule_of(load_auto(tmp_path, never)), SAT)
    assert not state.open and state.until is None


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ({"image-automation.io/update-windows": "0 9 * * mon-fri"}, "five crontab fields"),
        ({"image-automation.io/update-windows": "0 9 * * nope 8h"}, "nope"),
        ({"image-automation.io/update-windows": "0 9 * * * 0s"}, "positive"),
        ({"image-automation.io/update-windows": "0 9 * * * 8 hours"}, "five crontab fields"),
        ({"image-automation.io/update-time-zone": "Mars/Olympus"}, "unknown time zone"),
        ({"image-automation.io/freeze-periods": "2026-12-20"}, "START/END"),
        (
            {"image-automation.io/freeze-periods": "2026-12-20T00:00:00/2026-12-21T00:00:00"},
            "offset",
        ),
        (
            {"image-automation.io/freeze-periods": "2026-12-21T00:00:00Z/2026-12-20T00:00:00Z"},
            "ends before",
        ),
        ({"image-automation.io/update-windows": "; ".join(["0 9 * * * 1h"] * 33)}, "more than 32"),
    ],
)
def test_bad_annotations_name_the_file_and_annotation(
    tmp_path: Path, annotations: dict[str, str], message: str
) -> None:
    with pytest.raises(WindowError, match=message) as caught:
        schedule_of(load_auto(tmp_path, annotations))
    assert "a.yaml:" in str(caught.value) and "metadata.annotations." in str(caught.value)


DEPLOY = 'image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "apps:app"}\n'
POLICY = (
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
    "metadata: {name: app, namespace: apps}\nspec: {image: ghcr.io/org/app, interval: 1h}\n---\n"
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
    "metadata: {name: app, namespace: apps}\n"
    "spec: {imageRepositoryRef: {name: app}, policy: {semver: {range: '^1.0'}}}\n---\n"
)


def test_outside_the_window_nothing_is_pushed_inside_it_is(
    bare_remote: GitRemote, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(bare_remote, {"app.yaml": DEPLOY}, "a")
    before = log(bare_remote, "main")
    (tmp_path / "p.yaml").write_text(POLICY + automation(WEEKDAYS, bare_remote.path.as_uri()))
    config = load_config([tmp_path / "p.yaml"])
    store = open_store(tmp_path / "s.db")
    new = LatestRef("ghcr.io/org/app", "1.1.0")
    store.record_policy(PolicyRecord("apps/app", latest_ref=new), reason="new tag", now=SAT)
    auto = next(iter(config.automations.values()))

    outcome = run_automation(config, store, auto, tmp_path / "cache", SAT, force=True)
    assert outcome.skipped == (
        "outside the update windows; changes wait until 2026-11-23T08:00:00+00:00"
    )
    assert log(bare_remote, "main") == before
    store.close()
    # `get automations` judges at the real clock: a freeze around it makes that deterministic.
    frozen = {"image-automation.io/freeze-periods": "2000-01-01T00:00:00Z/2999-01-01T00:00:00Z"}
    (tmp_path / "g.yaml").write_text(POLICY + automation(frozen, bare_remote.path.as_uri()))
    args = ["get", "automations", str(tmp_path / "g.yaml"), "--state", str(tmp_path / "s.db")]
    assert main([*args, "-o", "json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    assert item["status"]["updateWindow"] == {
        "open": False,
        "reason": "frozen until 2999-01-01T00:00:00+00:00",
        "until": "2999-01-01T00:00:00Z",
    }
    assert main(args) == 0
    assert "changes wait until 2999-01-01T00:00:00+00:00" in capsys.readouterr().out

    monday = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    store = open_store(tmp_path / "s.db")
    outcome = run_automation(config, store, auto, tmp_path / "cache", monday)
    assert outcome.commit and not outcome.skipped
    assert "ghcr.io/org/app:1.1.0" in read_file_at(bare_remote, "main", "app.yaml")


def test_validate_names_a_bad_window_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"image-automation.io/update-windows": "0 25 * * * 1h"}
    (tmp_path / "a.yaml").write_text(automation(bad))
    assert main(["validate", str(tmp_path / "a.yaml")]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "a.yaml:" in out and "metadata.annotations.image-automation.io/update-windows" in out
    assert out.count("a.yaml:") == 1
