"""Registry stage: the only importer of httpx. Scans repositories, resolves digests.

Public API: `RegistryClient`, `ScanOptions`, `ProxyConfig`, `CredentialSources`,
`Credentials`, `scan_repository`, `scan_many`, `ScanTarget`, `ScanOutcome`, `ScanResult`,
`TagList`, `Manifest`.
"""

from automation.registry.client import RegistryClient, TagList
from automation.registry.credentials import Credentials, CredentialSources
from automation.registry.digests import Manifest
from automation.registry.options import ProxyConfig, ScanOptions
from automation.registry.scan import (
    ScanOutcome,
    ScanResult,
    ScanTarget,
    scan_many,
    scan_repository,
)

__all__ = [
    "CredentialSources",
    "Credentials",
    "Manifest",
    "ProxyConfig",
    "RegistryClient",
    "ScanOptions",
    "ScanOutcome",
    "ScanResult",
    "ScanTarget",
    "TagList",
    "scan_many",
    "scan_repository",
]
