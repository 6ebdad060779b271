"""Free TCP ports on 127.0.0.1 for the servers the tests start.

The kernel picks an unused port for a socket bound to port 0; we close the socket and hand the
number to the server. Another process can grab it in between, so callers that start a server
retry with a fresh port when it fails to bind (see ``procs.start_with_retries``).
"""

from __future__ import annotations

import socket

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def is_listening(port: int, host: str = LOCALHOST, timeout: float = 0.2) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
