"""`run` arguments and start-up failures: clear messages and exit codes, no daemon left over."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from automation.cli import main
from automation.commands.run import parse_listen
from automation.errors import UsageError

REPO = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: apps}
spec: {image: "127.0.0.1:9/app", interval: 1h}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9292", ("127.0.0.1", 9292)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("[::1]:8080", ("::1", 8080)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int] | None) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9292", ":9292", "host:port", "h:70000"])
def test_bad_listen_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="expected HOST:PORT"):
        parse_listen(text)


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "run", str(tmp_path / "p"), "--state", str(tmp_path / "s.db"),
        "--cache", str(tmp_path / "c"), *extra,
    ]  # fmt: skip


def test_a_broken_config_at_start_exits_1_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.yaml").write_text(REPO.replace("interval: 1h", "interval: soon"))
    assert main(_args(tmp_path, "--listen", "off")) == 1
    assert f"{tmp_path / 'p' / 'a.yaml'}:4: spec.interval" in capsys.readouterr().err


def test_bad_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p").mkdir()
    assert main(_args(tmp_path, "--listen", "nowhere")) == 2
    assert main(_args(tmp_path, "--git-workers", "0")) == 2
    assert main(["run", "git+not-a-url"]) == 2
    with pytest.raises(SystemExit):
        main(_args(tmp_path, "--reload-interval", "0s"))
    assert "must be positive" in capsys.readouterr().err


def test_a_taken_port_exits_1_before_any_job_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.yaml").write_text(REPO)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(_args(tmp_path, "--listen", f"127.0.0.1:{port}")) == 1
    assert f"--listen 127.0.0.1:{port}: Address already in use" in capsys.readouterr().err
