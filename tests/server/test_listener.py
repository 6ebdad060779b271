"""The listener's HTTP behaviour: routes, methods, limits, probes, metrics, and secrecy."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pytest

from automation.errors import ConfigError, ConfigErrors
from automation.server import Endpoint, webhook_path
from tests.server.conftest import Listener, payload


def test_unknown_paths_are_404_and_change_nothing(listener: Listener) -> None:
    wrong_token = webhook_path(b"guessed", "hub", "default")
    for path in (wrong_token, "/hook/", "/hook/../healthz", "/hooks/hub", "/", "/metricsx"):
        status, _, _ = listener.request("POST", path, payload("dockerhub.json"))
        assert status == 404, path
    assert listener.scans == []
    hook_404 = listener.metrics.registry.get_sample_value(
        "image_automation_webhook_requests_total", {"type": "unknown", "status": "404"}
    )
    assert hook_404 == 3  # the /hook/ paths; other 404s are not webhook calls


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "hook", "POST"),
        ("PUT", "hook", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/metrics", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(
    listener: Listener, method: str, path: str, allow: str
) -> None:
    path = listener.endpoints["hub"].path if path == "hook" else path
    status, _, response = listener.request(method, path, payload("dockerhub.json"))
    assert status == 405
    assert response.getheader("Allow") == allow
    assert listener.scans == []


def test_body_over_the_cap_is_413_and_not_read(
    listener_factory: Callable[..., Listener],
) -> None:
    listener = listener_factory(max_body=1024)
    body = b'{"image": "alpine", "pad": "' + b"x" * 2000 + b'"}'
    status, _, _ = listener.request("POST", listener.endpoints["generic"].path, body)
    assert status == 413
    refused = listener.metrics.registry.get_sample_value(
        "image_automation_webhook_requests_total", {"type": "generic", "status": "413"}
    )
    assert refused == 1
    small = b'{"image": "alpine"}'
    assert listener.post("generic", small)[0] == 202
    assert listener.scans == [{"default/alpine"}]


def test_default_cap_is_one_mebibyte(listener: Listener) -> None:
    body = b'{"image": "alpine", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    status, _, _ = listener.request("POST", listener.endpoints["generic"].path, body)
    assert status == 413
    assert listener.scans == []


def test_chunked_body_is_refused_with_411(listener: Listener) -> None:
    path = listener.endpoints["generic"].path
    with socket.create_connection(("127.0.0.1", listener.server.port), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b'13\r\n{"image": "alpine"}\r\n0\r\n\r\n'
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.0 411 ")
    assert listener.scans == []


def test_a_stalled_client_is_dropped_after_the_timeout(
    listener_factory: Callable[..., Listener], capfd: pytest.CaptureFixture[str]
) -> None:
    listener = listener_factory(request_timeout=0.2)
    path = listener.endpoints["generic"].path
    with socket.create_connection(("127.0.0.1", listener.server.port), timeout=5) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nContent-Length: 100\r\n\r\n{{".encode())
        assert sock.recv(4096) == b""  # closed by the server, nothing processed
    assert listener.scans == []
    assert listener.post("generic", b'{"image": "alpine"}')[0] == 202
    assert "Traceback" not in capfd.readouterr().err  # a timeout is not our error


def test_a_body_shorter_than_announced_is_400(listener: Listener) -> None:
    path = listener.endpoints["generic"].path
    with socket.create_connection(("127.0.0.1", listener.server.port), timeout=5) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nContent-Length: 100\r\n\r\n{{}}".encode())
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert listener.scans == []


def test_connections_past_the_limit_get_503_unless_they_probe_health(
    listener_factory: Callable[..., Listener],
) -> None:
    listener = listener_factory(max_connections=1)
    address = ("127.0.0.1", listener.server.port)
    with socket.create_connection(address, timeout=5) as held:
        held.sendall(b"GET /healthz HTTP/1.1\r\n")  # incomplete: holds the only slot
        with socket.create_connection(address, timeout=5) as refused:
            refused.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
            assert refused.recv(4096).startswith(b"HTTP/1.0 503 ")
        with socket.create_connection(address, timeout=5) as probe:
            probe.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
            assert probe.recv(4096).startswith(b"HTTP/1.0 200 ")
        held.sendall(b"\r\n")
        assert held.recv(4096).startswith(b"HTTP/1.0 200 ")
    # The slot is given back when the handler thread ends, just after the answer is sent.
    deadline = time.monotonic() + 5
    while listener.request("GET", "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the connection slot was never released"


def test_healthz_and_readyz(listener: Listener) -> None:
    assert listener.request("GET", "/healthz")[:2] == (200, b"ok\n")
    assert listener.request("GET", "/readyz")[:2] == (503, b"not ready\n")
    listener.ready.set()
    assert listener.request("GET", "/readyz")[:2] == (200, b"ready\n")
    assert listener.request("GET", "/healthz?verbose=1")[0] == 200


def test_readyz_is_503_when_the_check_raises(
    listener_factory: Callable[..., Listener], caplog: pytest.LogCaptureFixture
) -> None:
    listener = listener_factory()
    listener.server.ready = lambda: 1 / 0 > 0
    assert listener.request("GET", "/readyz")[0] == 503


def test_metrics_exposes_every_family_after_calls(listener: Listener) -> None:
    listener.post("hub", payload("dockerhub.json"))
    listener.post("harbor", payload("harbor.json"), {"Authorization": "nope"})
    listener.metrics.scan_finished("default/app", 0.3, 12, None)
    listener.metrics.policy_changed("default/app")
    listener.metrics.pushed("default/fleet")
    listener.metrics.job_started(0.02)
    listener.metrics.failed("automation", "GitAuthError")
    status, text, response = listener.request("GET", "/metrics")
    assert status == 200
    assert response.getheader("Content-Type").startswith("text/plain; version=")
    body = text.decode()
    for line in (
        'image_automation_webhook_requests_total{status="202",type="dockerhub"} 1.0',
        'image_automation_webhook_requests_total{status="401",type="harbor"} 1.0',
        'image_automation_scans_total{result="ok"} 1.0',
        'image_automation_failures_total{reason="GitAuthError",stage="automation"} 1.0',
        "image_automation_scan_duration_seconds_count 1.0",
        'image_automation_repository_tags{repository="default/app"} 12.0',
        'image_automation_policy_changes_total{policy="default/app"} 1.0',
        'image_automation_pushes_total{automation="default/fleet"} 1.0',
        "image_automation_queue_delay_seconds_count 1.0",
    ):
        assert line in body.splitlines(), line


def test_a_failing_on_scan_is_503(listener: Listener) -> None:
    listener.fail_scan = True
    status, answer = listener.post("hub", payload("dockerhub.json"))
    assert (status, answer["message"]) == (503, "could not queue the scan")
    failures = listener.metrics.registry.get_sample_value(
        "image_automation_failures_total", {"stage": "webhook", "reason": "RuntimeError"}
    )
    assert failures == 1


def test_tokens_paths_and_signatures_never_reach_the_logs(
    listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hub = listener.endpoints["hub"].path
    listener.post("hub", payload("dockerhub.json"))
    listener.request("POST", hub + "0", b"{}")  # unknown path
    listener.request("GET", hub)  # 405
    listener.post("harbor", b"{}", {"Authorization": "token-of-harbor-wrong"})
    listener.request("BREW", hub)  # 501 from http.server itself
    listener.request("GET", "/" + "a" * 70000)  # 414 from http.server itself
    text = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "webhook default/hub (dockerhub) from 127.0.0.1: 202" in text
    for secret in ("token-of", hub[len("/hook/") :], "/hook/"):
        assert secret not in text
    assert "token-of" not in repr(listener.endpoints["hub"])


def test_a_failing_endpoints_provider_is_503_not_a_dropped_connection(
    listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    path = listener.endpoints["hub"].path

    def broken() -> list[Endpoint]:
        raise ConfigErrors([ConfigError("hooks.yaml", 3, "spec.secretRef", "Secret x not found")])

    listener.server.endpoints = broken
    status, _, response = listener.request("POST", path, payload("dockerhub.json"))
    assert (status, response.getheader("Retry-After")) == (503, "10")
    assert "hooks.yaml:3: spec.secretRef: Secret x not found" in caplog.text
    assert listener.scans == []
    failures = listener.metrics.registry.get_sample_value(
        "image_automation_failures_total", {"stage": "webhook", "reason": "receivers_unavailable"}
    )
    assert failures == 1


def test_deeply_nested_json_is_a_400_not_a_dropped_connection(listener: Listener) -> None:
    """The JSON decoder's RecursionError escaped the handler: no answer, a logged traceback."""
    status, body = listener.post("generic", b"[" * 200_000)
    assert (status, body["message"]) == (400, "the body is JSON nested too deeply")
    assert listener.scans == []
