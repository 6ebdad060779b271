"""A real forward HTTP proxy for tests: tinyproxy (Debian package) with Basic proxy auth.

`http_proxy` is a session fixture: tinyproxy on 127.0.0.1:<free port>, requiring
`Proxy-Authorization: Basic` with PROXY_USER / PROXY_PASSWORD, logging every request at Info
to a file the tests read to see that traffic went through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rig.git_remotes import _start_with_retries
from tests.rig.ports import LOCALHOST

PROXY_USER = "proxy-user"
PROXY_PASSWORD = "proxy-s3cret"


@dataclass(frozen=True)
class HttpProxy:
    address: str  # http://127.0.0.1:PORT
    username: str
    password: str
    log: Path

    def requests(self) -> list[str]:
        """The request lines tinyproxy logged (`Request (file descriptor N): GET http://...`)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if "Request (file descriptor" in line]


def _config(root: Path, port: int) -> Path:
    conf = root / f"tinyproxy-{port}.conf"
    conf.write_text(
        f"Port {port}\nListen {LOCALHOST}\nTimeout 60\nMaxClients 20\n"
        f'LogFile "{root / "tinyproxy.log"}"\nLogLevel Info\n'
        f"Allow {LOCALHOST}\nBasicAuth {PROXY_USER} {PROXY_PASSWORD}\n"
        "DisableViaHeader Yes\nConnectPort 443\nConnectPort 80\n"
    )
    return conf


@pytest.fixture(scope="session")
def http_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpProxy]:
    root = tmp_path_factory.mktemp("tinyproxy")
    port, proc = _start_with_retries(
        "tinyproxy",
        lambda p: ["tinyproxy", "-d", "-c", str(_config(root, p))],
        log_path=root / "stderr.log",
    )
    yield HttpProxy(
        f"http://{LOCALHOST}:{port}", PROXY_USER, PROXY_PASSWORD, root / "tinyproxy.log"
    )
    proc.stop()
