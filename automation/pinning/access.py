"""How the ad-hoc commands reach registries: docker config credentials and TLS flags.

In: `--ca-file`, `--insecure`, `--platform`, `--concurrency` as parsed by argparse. Out: a
`RegistryAccess` (the `ScanOptions` every registry client of a run shares, plus the platform).
Credentials come from `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`); the system
CAs (`SSL_CERT_FILE` is honoured by OpenSSL) are always trusted, `--ca-file` adds one.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from automation.errors import UsageError
from automation.registry import CredentialSources, ScanOptions
from automation.registry.credentials import docker_config_path
from automation.registry.platforms import Platform, parse_platform

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class RegistryAccess:
    options: ScanOptions
    platform: Platform | None = None


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ca-file", type=Path, metavar="PEM", help="extra CA certificate(s) to trust (PEM)"
    )
    parser.add_argument(
        "--insecure", action="store_true", help="allow plain HTTP when HTTPS cannot connect"
    )
    parser.add_argument(
        "--platform",
        metavar="OS/ARCH[/VARIANT]",
        help="pin this platform's manifest instead of the multi-platform index",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight per registry (default {DEFAULT_CONCURRENCY})",
    )


def access_from_args(args: argparse.Namespace) -> RegistryAccess:
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    platform = parse_platform(args.platform) if args.platform else None
    options = registry_options(args.ca_file, args.insecure, concurrency=args.concurrency)
    return RegistryAccess(options, platform)


def registry_options(
    ca_file: Path | None, insecure: bool, *, concurrency: int = DEFAULT_CONCURRENCY
) -> ScanOptions:
    """ScanOptions with the docker config as credential source. Raises UsageError when the
    CA file cannot be read."""
    ca_pem = None
    if ca_file is not None:
        try:
            ca_pem = ca_file.read_bytes()
        except OSError as err:
            raise UsageError(f"--ca-file {ca_file}: {err.strerror}") from err
    return ScanOptions(
        insecure=insecure,
        ca_pem=ca_pem,
        credentials=CredentialSources(docker_config=docker_config_path()),
        concurrency=concurrency,
    )
