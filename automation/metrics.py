"""Prometheus metrics of one process: what the scheduler and the webhook listener observe.

In: calls from the stages (`scan_finished`, `policy_changed`, `pushed`, `failed`,
`job_started`, `webhook_request`). Out: the text exposition format from `render()`.
Each `Metrics` owns its own `CollectorRegistry`, so two instances (two tests) never share
counts. Label values are bounded: object keys (`ns/name`) from the config and error class
names, never free text from the outside world.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "image_automation"
# Registry scans: from a few ms (cached, 304) to minutes (slow registry with thousands of tags).
SCAN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# How long a due job waited for a worker: normally ~0, minutes when the queue is backed up.
DELAY_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


def failure_reason(error: BaseException) -> str:
    """A bounded label for an error: its class name (`RegistryTransientError`)."""
    return type(error).__name__


class Metrics:
    """Counters, gauges and histograms of one process, in one private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # process_cpu_seconds_total, resident memory, open fds
        self.scans = Counter(
            f"{PREFIX}_scans_total", "Registry scans by result (ok, error).", ["result"], registry=r
        )
        self.scan_duration = Histogram(
            f"{PREFIX}_scan_duration_seconds",
            "Time one ImageRepository scan took.",
            buckets=SCAN_BUCKETS,
            registry=r,
        )
        self.repository_tags = Gauge(
            f"{PREFIX}_repository_tags",
            "Tags found by the last successful scan of an ImageRepository.",
            ["repository"],
            registry=r,
        )
        self.policy_changes = Counter(
            f"{PREFIX}_policy_changes_total",
            "Times an ImagePolicy selected a different image.",
            ["policy"],
            registry=r,
        )
        self.pushes = Counter(
            f"{PREFIX}_pushes_total",
            "Commits pushed by an ImageUpdateAutomation.",
            ["automation"],
            registry=r,
        )
        self.failures = Counter(
            f"{PREFIX}_failures_total",
            "Failures by stage (scan, policy, automation, webhook, config) and error class.",
            ["stage", "reason"],
            registry=r,
        )
        self.queue_delay = Histogram(
            f"{PREFIX}_queue_delay_seconds",
            "Time between a job being due and starting to run.",
            buckets=DELAY_BUCKETS,
            registry=r,
        )
        self.webhook_requests = Counter(
            f"{PREFIX}_webhook_requests_total",
            "Webhook requests by receiver type and HTTP status.",
            ["type", "status"],
            registry=r,
        )

        self.lease_takeovers = Counter(
            f"{PREFIX}_lease_takeovers_total",
            "Jobs this replica took over from a replica whose lease had expired.",
            registry=r,
        )

    def replica(self, replica_id: str, leases_held: Callable[[], float]) -> None:
        """Several replicas on one database: this one's id and the leases it holds now."""
        info = Gauge(
            f"{PREFIX}_replica_info",
            "This replica's id (value 1).",
            ["replica"],
            registry=self.registry,
        )
        info.labels(replica=replica_id).set(1)
        held = Gauge(
            f"{PREFIX}_leases_held", "Job leases this replica holds.", registry=self.registry
        )
        held.set_function(leases_held)

    def lease_takeover(self) -> None:
        self.lease_takeovers.inc()

    def scan_finished(
        self, repository: str, seconds: float, tags: int | None, error: BaseException | None
    ) -> None:
        """One ImageRepository scan ended; `tags` is the tag count when it succeeded."""
        self.scan_duration.observe(max(seconds, 0.0))
        if error is not None:
            self.scans.labels(result="error").inc()
            self.failed("scan", error)
            return
        self.scans.labels(result="ok").inc()
        if tags is not None:
            self.repository_tags.labels(repository=repository).set(tags)

    def forget_repository(self, repository: str) -> None:
        """Drop the gauge of an ImageRepository removed from the configuration."""
        with contextlib.suppress(KeyError):
            self.repository_tags.remove(repository)

    def policy_changed(self, policy: str) -> None:
        self.policy_changes.labels(policy=policy).inc()

    def pushed(self, automation: str) -> None:
        self.pushes.labels(automation=automation).inc()

    def failed(self, stage: str, error: BaseException | str) -> None:
        """Count a failure; `error` is an exception (its class names the reason) or a reason."""
        reason = error if isinstance(error, str) else failure_reason(error)
        self.failures.labels(stage=stage, reason=reason).inc()

    def job_started(self, delay_seconds: float) -> None:
        """A queued job started `delay_seconds` after it was due."""
        self.queue_delay.observe(max(delay_seconds, 0.0))

    def webhook_request(self, receiver_type: str, status: int) -> None:
        self.webhook_requests.labels(type=receiver_type, status=str(status)).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type, for `GET /metrics`."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
