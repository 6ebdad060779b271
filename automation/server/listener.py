"""The HTTP listener: webhooks, `/healthz`, `/readyz` and `/metrics` (on one port, or
`/metrics` on a port of its own, optionally behind a bearer token).

In: providers the run command supplies (current endpoints, current ImageRepositories, a
readiness check) and `on_scan`, called with the ImageRepository keys to scan now, from a
listener thread (it must be thread-safe and quick: queue the work, do not do it). Out: HTTP
answers. Stdlib `ThreadingHTTPServer`: four routes do not justify a framework.

Never logged: paths under /hook/ (for Docker Hub, Quay and generic receivers the path is
the credential), headers, bodies. Slow clients are bounded by `admission`: an absolute
deadline per connection, a per-client connection limit, and health answers past the limits.
"""

from __future__ import annotations

import hmac
import json
import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from automation.config.image import ImageRepository
from automation.errors import AutomationError
from automation.metrics import Metrics
from automation.server.admission import Admission, AdmittingServer, OverflowLane
from automation.server.receivers import HOOK_PREFIX, Endpoint, find_endpoint
from automation.server.webhooks import ACCEPTED, WebhookResult, handle

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
DRAIN_LIMIT = 8 * 1024 * 1024
REQUEST_TIMEOUT = 10.0  # seconds per read or write
REQUEST_DEADLINE = 15.0  # seconds for a whole connection, however busy its client keeps it
STOP_POLL = 0.05  # seconds `stop()` may wait for the serving loop to notice
MAX_CONNECTIONS = 64
MAX_PER_CLIENT = 16
HEALTH_ROUTES = ("/healthz", "/readyz")
ALL_ROUTES = frozenset({"hooks", "health", "metrics"})


class _Server(AdmittingServer):
    def __init__(self, address: tuple[str, int], app: WebhookServer) -> None:
        self.app = app
        limits = Admission(app.max_connections, app.max_per_client, app.request_deadline)
        super().__init__(address, _Handler, limits, OverflowLane(app.health))

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # timeouts and resets: the client's doing
            log.debug("http: connection dropped: %s", type(error).__name__)
        else:
            log.error("http: unexpected error while serving a request", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "image-automation"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # A client that stops sending mid-request frees its thread after this long; one that
        # keeps sending slowly is cut off at the connection's deadline (`Admission.reap`).
        app = self.server.app
        self.connection.settimeout(min(app.request_timeout, app.request_deadline))

    # The request line holds the /hook/ path: BaseHTTPRequestHandler would log it.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: %s", format % tuple("-" if HOOK_PREFIX in str(a) else a for a in args))

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, text: str, **headers: str) -> None:
        self._send(status, (text + "\n").encode(), "text/plain; charset=utf-8", **headers)

    def _route(self) -> None:
        path = urlsplit(self.path).path
        routes = self.server.app.routes
        if path.startswith(HOOK_PREFIX) and "hooks" in routes:
            if self.command != "POST":
                self._text(405, "method not allowed", Allow="POST")
            else:
                self._hook(path)
        elif path in HEALTH_ROUTES or (path == "/metrics" and "metrics" in routes):
            if self.command not in ("GET", "HEAD"):
                self._text(405, "method not allowed", Allow="GET, HEAD")
            else:
                self._get(path)
        else:
            self._text(404, "not found")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _route

    def _get(self, path: str) -> None:
        app = self.server.app
        if path in HEALTH_ROUTES:
            status, body = app.health(path.encode())
            self._send(status, body, "text/plain; charset=utf-8")
        elif not app.metrics_allowed(self.headers.get("Authorization", "")):
            self._text(401, "a bearer token is required", WWW_Authenticate='Bearer realm="metrics"')
        else:
            body, content_type = app.metrics.render()
            self._send(200, body, content_type)

    def _discard(self, length: int) -> None:
        """Drain (a bounded part of) a refused body so the sender reads our 413 rather than a
        connection reset; what is left past the bound is cut off with the connection."""
        left = min(length, DRAIN_LIMIT)
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def _read_body(self) -> bytes | tuple[int, str]:
        """The body, or the status and reason to refuse it with."""
        if self.headers.get("Transfer-Encoding"):
            return 411, "a Content-Length is required"
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            return 400, "invalid Content-Length"
        if length > self.server.app.max_body:
            self._discard(length)
            return 413, f"the body is larger than {self.server.app.max_body} bytes"
        body = self.rfile.read(length)
        if len(body) != length:
            return 400, "the body is shorter than its Content-Length"
        return body

    def _hook(self, path: str) -> None:
        app = self.server.app
        endpoints = app.current_endpoints()
        if endpoints is None:
            app.metrics.webhook_request("unknown", 503)
            self._text(503, "webhooks are unavailable", Retry_After="10")
            return
        endpoint = find_endpoint(endpoints, path)
        if endpoint is None:
            app.metrics.webhook_request("unknown", 404)
            log.info(
                "webhook call from %s to an unknown receiver path: 404", self.client_address[0]
            )
            self._text(404, "not found")
            return
        body = self._read_body()
        if isinstance(body, tuple):
            result = WebhookResult(*body, receiver=endpoint.key, receiver_type=endpoint.type)
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            result = handle(endpoint, headers, body, app.repositories())
        result = app.dispatch(result, client=self.client_address[0])
        payload = {"message": result.message, "repositories": sorted(result.repositories)}
        self._send(result.status, json.dumps(payload).encode(), "application/json")


class WebhookServer:
    """Serve webhooks, health and metrics on host:port (port 0 picks a free one)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        endpoints: Callable[[], Sequence[Endpoint]],
        repositories: Callable[[], Mapping[str, ImageRepository]],
        on_scan: Callable[[set[str]], None],
        ready: Callable[[], bool],
        metrics: Metrics,
        max_body: int = MAX_BODY,
        request_timeout: float = REQUEST_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
        max_connections: int = MAX_CONNECTIONS,
        max_per_client: int = MAX_PER_CLIENT,
        routes: frozenset[str] = ALL_ROUTES,
        metrics_token: str = "",
    ) -> None:
        self.host = host
        self.requested_port = port
        self.endpoints = endpoints
        self.repositories = repositories
        self.on_scan = on_scan
        self.ready = ready
        self.metrics = metrics
        self.max_body = max_body
        self.request_timeout = request_timeout
        self.request_deadline = request_deadline
        self.max_connections = max_connections
        self.max_per_client = max_per_client
        self.routes = routes
        self._metrics_token = metrics_token.encode()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread; OSError (port in use) propagates."""
        server = _Server((self.host, self.requested_port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(STOP_POLL,), name="http", daemon=True
        )
        self._thread.start()
        served = ["/healthz", "/readyz"]
        if "hooks" in self.routes:
            served.insert(0, f"webhooks under {HOOK_PREFIX}")
        if "metrics" in self.routes:
            served.append("/metrics" + (" (bearer token)" if self._metrics_token else ""))
        log.info("listening on %s (%s)", self.url, ", ".join(served))

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def current_endpoints(self) -> Sequence[Endpoint] | None:
        """The endpoints now, or None (logged, counted) when the provider fails, e.g. a
        Receiver whose Secret went missing in a reload."""
        try:
            return self.endpoints()
        except AutomationError as err:  # config errors name objects and fields, not secrets
            log.error("webhooks unavailable: %s", err)
        except Exception as err:
            log.error("webhooks unavailable: %s", type(err).__name__, exc_info=True)
        self.metrics.failed("webhook", "receivers_unavailable")
        return None

    def health(self, path: bytes) -> tuple[int, bytes]:
        """`/healthz` or `/readyz` -> status and body (also answered past the limits)."""
        if path == b"/healthz":
            return 200, b"ok\n"
        ready = self.is_ready()
        return (200, b"ready\n") if ready else (503, b"not ready\n")

    def metrics_allowed(self, authorization: str) -> bool:
        if not self._metrics_token:
            return True
        scheme, _, token = authorization.partition(" ")
        given = token.strip().encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(given, self._metrics_token)

    def is_ready(self) -> bool:
        try:
            return bool(self.ready())
        except Exception:  # a readiness probe answers, it does not crash the listener
            log.exception("readiness check failed")
            return False

    def dispatch(self, result: WebhookResult, client: str = "") -> WebhookResult:
        """Queue the scans a result asks for; count and log it. 503 if queueing fails.

        Refused calls are counted by status in webhook_requests_total; failures_total counts
        only our own failure to queue (an outsider must not be able to page the operator)."""
        if result.status == ACCEPTED:
            try:
                self.on_scan(set(result.repositories))
            except Exception as err:  # the scheduler's problem, reported to the sender
                log.exception("webhook %s: could not queue the scan", result.receiver)
                self.metrics.failed("webhook", err)
                result = WebhookResult(
                    503, "could not queue the scan", result.receiver, result.receiver_type
                )
        self.metrics.webhook_request(result.receiver_type, result.status)
        log.info(
            "webhook %s (%s) from %s: %d %s",
            result.receiver,
            result.receiver_type,
            client or "-",
            result.status,
            result.message,
            extra={"fields": {"repositories": sorted(result.repositories)}},
        )
        return result
