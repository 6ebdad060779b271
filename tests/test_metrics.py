"""Metrics: what each call records, and that two processes' registries never mix."""

from __future__ import annotations

from automation.errors import RegistryTransientError
from automation.metrics import Metrics


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(f"image_automation_{name}", labels)


def test_scan_results_durations_and_tags() -> None:
    metrics = Metrics()
    metrics.scan_finished("default/app", 0.2, 40, None)
    metrics.scan_finished("default/app", 0.4, 41, None)
    error = RegistryTransientError("registry.example.com: 503", registry="registry.example.com")
    metrics.scan_finished("default/app", 3.0, None, error)
    assert value(metrics, "scans_total", result="ok") == 2
    assert value(metrics, "scans_total", result="error") == 1
    assert value(metrics, "scan_duration_seconds_count") == 3
    assert value(metrics, "scan_duration_seconds_bucket", le="0.5") == 2
    assert value(metrics, "repository_tags", repository="default/app") == 41  # last success
    assert value(metrics, "failures_total", stage="scan", reason="RegistryTransientError") == 1
    metrics.forget_repository("default/app")
    metrics.forget_repository("default/never-seen")
    assert value(metrics, "repository_tags", repository="default/app") is None


def test_counters_and_queue_delay() -> None:
    metrics = Metrics()
    metrics.policy_changed("default/app")
    metrics.pushed("flux-system/fleet")
    metrics.pushed("flux-system/fleet")
    metrics.failed("automation", "push_rejected")
    metrics.job_started(-0.5)  # clock skew: counted as no delay, not a negative sample
    metrics.job_started(7.0)
    metrics.webhook_request("quay", 202)
    assert value(metrics, "policy_changes_total", policy="default/app") == 1
    assert value(metrics, "pushes_total", automation="flux-system/fleet") == 2
    assert value(metrics, "failures_total", stage="automation", reason="push_rejected") == 1
    assert value(metrics, "queue_delay_seconds_bucket", le="0.01") == 1
    assert value(metrics, "queue_delay_seconds_sum") == 7.0
    assert value(metrics, "webhook_requests_total", type="quay", status="202") == 1


def test_instances_are_independent_and_render_text() -> None:
    first, second = Metrics(), Metrics()
    first.pushed("default/a")
    assert value(second, "pushes_total", automation="default/a") is None
    body, content_type = second.render()
    assert content_type.startswith("text/plain; version=")
    assert b"# TYPE image_automation_pushes_total counter" in body
    assert b'automation="default/a"' not in body
    assert b"process_resident_memory_bytes " in body  # the standard process metrics too
