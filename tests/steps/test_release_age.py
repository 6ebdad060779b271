"""Minimum release age: a newer tag waits until its image is old enough, then wins by itself."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.cli import main
from automation.config import load_config
from automation.errors import ConfigErrors
from automation.registry.created import CREATED
from automation.state import open_store
from automation.steps.cycle import refresh_cycle
from tests.rig import images
from tests.rig.registry import RegistryServer

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write(tmp_path: Path, host: str, repo: str, age: str = "72h") -> Path:
    path = tmp_path / "policies"
    path.mkdir(exist_ok=True)
    (path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        "metadata: {name: app, namespace: apps}\n"
        f"spec: {{image: {host}/{repo}, interval: 1h, insecure: true}}\n---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
        "metadata:\n  name: app\n  namespace: apps\n"
        f"  annotations: {{image-automation.io/min-release-age: '{age}'}}\n"
        "spec:\n  imageRepositoryRef: {name: app}\n  policy: {semver: {range: '>=1.0.0'}}\n"
    )
    return path


def test_young_tag_is_held_until_old_enough(registry: RegistryServer, tmp_path: Path) -> None:
    repo = images.unique_repo("age")
    images.push_image(registry, repo, "1.0.0", created=rfc3339(NOW - timedelta(days=10)))
    images.push_image(registry, repo, "1.1.0", created=rfc3339(NOW - timedelta(days=2)))
    images.push_image(registry, repo, "1.2.0", created=rfc3339(NOW - timedelta(hours=1)))
    images.push_image(registry, repo, "1.3.0")  # no created time: never old enough
    config = load_config([write(tmp_path, registry.host, repo)])
    store = open_store(tmp_path / "s.db")

    _, (first,), _ = asyncio.run(refresh_cycle(config, store, NOW, mirror=False))
    assert first.latest is not None and first.latest.tag == "1.0.0"
    message = store.get_policy("apps/app").message  # type: ignore[union-attr]
    assert message.endswith(
        "; held back: 1.3.0 (no created time; minimum release age 72h), "
        "1.2.0 (built 1h ago; minimum release age 72h), "
        "1.1.0 (built 48h ago; minimum release age 72h)"
    )

    # A day later nothing new was pushed, yet 1.1.0 is now old enough: the policy moves.
    later = NOW + timedelta(days=1, minutes=1)
    fetched = CREATED.fetches
    _, (second,), _ = asyncio.run(refresh_cycle(config, store, later, mirror=False))
    assert second.changed and second.latest is not None and second.latest.tag == "1.1.0"
    assert CREATED.fetches == fetched  # configs are cached by digest
    # A moved tag is a new digest: its own created time counts.
    images.push_image(registry, repo, "1.1.0", created=rfc3339(later))
    _, (third,), _ = asyncio.run(refresh_cycle(config, store, later, force=True, mirror=False))
    assert third.latest is not None and third.latest.tag == "1.0.0"


def test_all_tags_too_young_keeps_the_previous_ref_and_says_why(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = images.unique_repo("age")
    images.push_image(registry, repo, "2.0.0", created=rfc3339(NOW - timedelta(minutes=5)))
    path = write(tmp_path, registry.host, repo, age="1h")
    config = load_config([path])
    store = open_store(tmp_path / "s.db")
    _, (outcome,), _ = asyncio.run(refresh_cycle(config, store, NOW, mirror=False))
    assert outcome.latest is None
    assert outcome.error == (
        "no eligible tag; held back: 2.0.0 (built 5m ago; minimum release age 1h)"
    )
    store.close()
    db = str(tmp_path / "s.db")
    assert main(["get", "policies", str(path), "--state", db, "-o", "json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    assert (
        "2.0.0 (built 5m ago; minimum release age 1h)" in item["status"]["conditions"][0]["message"]
    )


def test_bad_minimum_age_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors, match="min-release-age"):
        load_config([write(tmp_path, "127.0.0.1:1", "x/y", age="3 days")])


def test_policy_test_verbose_shows_the_minimum_and_what_was_held(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = images.unique_repo("age")
    images.push_image(registry, repo, "1.0.0", created=rfc3339(NOW - timedelta(days=9)))
    images.push_image(registry, repo, "1.1.0", created=rfc3339(NOW - timedelta(hours=2)))
    path = write(tmp_path, registry.host, repo)
    store = open_store(tmp_path / "s.db")
    asyncio.run(refresh_cycle(load_config([path]), store, NOW, mirror=False))
    store.close()
    args = ["policy", "test", "--name", "apps/app", "--policies", str(path)]
    args += ["--state", str(tmp_path / "s.db"), "--tags", "1.0.0,1.1.0", "-v"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "1.1.0\n"  # offline: the ordering alone
    assert "release gates (minimum release age 72h)" in captured.err
    assert "last evaluation held back 1.1.0 (built 2h ago; minimum release age 72h)" in captured.err
