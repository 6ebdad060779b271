"""Registry access of the ad-hoc commands: flags -> ScanOptions, docker config, platform."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from automation.errors import UsageError
from automation.pinning.access import access_from_args, add_registry_arguments
from automation.registry.platforms import Platform


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_registry_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_use_the_docker_config_and_no_platform(docker_config: Path) -> None:
    access = access_from_args(parse())
    assert access.platform is None
    assert access.options.concurrency == 8 and not access.options.insecure
    assert access.options.credentials.docker_config == docker_config / "config.json"


def test_flags(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    args = parse(
        "--ca-file", str(ca), "--insecure", "--platform", "linux/arm64", "--concurrency", "2"
    )
    access = access_from_args(args)
    assert access.platform == Platform("linux", "arm64")
    assert access.options.ca_pem == ca.read_bytes() and access.options.insecure
    assert access.options.concurrency == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--concurrency", "0"), "--concurrency must be at least 1"),
        (("--ca-file", "/nonexistent/ca.pem"), "--ca-file /nonexistent/ca.pem: No such file"),
        (("--platform", "linux"), "linux"),
    ],
)
def test_bad_flags_are_usage_errors(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        access_from_args(parse(*argv))
