"""`image-automation run [SOURCE...]`: the daemon. Scan, evaluate and push on schedule.

Each ImageRepository is scanned at its interval; a new tag re-evaluates its policies at once,
and a changed latestRef runs the automations that use the policy. SIGTERM or SIGINT stops
scheduling, lets a running push finish, closes the state store and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from automation.commands.common import (
    add_cache_argument,
    add_secrets_argument,
    add_state_argument,
    state,
)
from automation.config import Config, ImageRepository, secrets_paths
from automation.config.duration import parse_duration
from automation.daemon.chain import Observer
from automation.daemon.plan import JITTER_CAP
from automation.daemon.policysource import load_sources, parse_source
from automation.daemon.reload import policy_cache
from automation.daemon.replicas import (
    LEASE_TTL,
    SHARD_LABEL,
    ReplicaOptions,
    SharedScheduler,
    default_replica_id,
    shared_scheduler,
)
from automation.daemon.runner import Daemon, DaemonOptions
from automation.errors import AutomationError, ConfigErrors, UsageError
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.notifier import Notifier
from automation.reconcile import default_cache_dir

if TYPE_CHECKING:
    from automation.server import Endpoint
    from automation.server.listener import WebhookServer


EPILOG = """\
SOURCE is a file or directory of policy files, or a branch and folder of a git repository,
fetched again every --reload-interval (a committed change takes effect without a restart;
a broken commit keeps the last good config and logs the error with file:line):

  git+URL[#BRANCH[:PATH]]    BRANCH defaults to main, PATH to the repository root
  e.g. git+https://git.example.com/fleet.git#main:policies
       git+file:///srv/git/policies.git#main:clusters/prod

Git sources are fetched without credentials (file://, public or mirrored remotes).

Scheduling: every ImageRepository, Always ImagePolicy and ImageUpdateAutomation runs at its
interval; first runs resume from the state store and are spread by --jitter. A new tag
re-evaluates the repository's policies at once, a new latestRef runs the automations that
use it. A failing object retries after 5s, 10s, 20s, ... up to 10m; the others run on time.
SIGTERM/SIGINT: stop scheduling, abandon registry work, let a running push finish, exit 0.

Replicas: with --state postgresql://USER@HOST:PORT/DB (password from PGPASSWORD, PGPASSFILE
or $IMAGE_AUTOMATION_STATE_PASSWORD_FILE) any number of `run` processes share the work: each
due object is leased to one replica for --lease-ttl and renewed while it runs; a replica that
dies loses its leases after the TTL, one that gets SIGTERM hands them back at once. Objects
labelled sharding.fluxcd.io/key: NAME run only on replicas started with --shard NAME; the
others run the unlabelled objects.
"""

T = TypeVar("T")
log = logging.getLogger("automation.daemon")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="policy files/directories or git+URL#BRANCH:PATH (default: ./policies)",
    )
    add_secrets_argument(parser)
    add_state_argument(parser)
    add_cache_argument(parser)
    parser.add_argument(
        "--listen",
        default="127.0.0.1:9292",
        metavar="HOST:PORT",
        help="webhooks, /healthz, /readyz and /metrics (default: %(default)s; 'off' to disable)",
    )
    parser.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve /metrics (and the probes) here instead of on --listen",
    )
    parser.add_argument(
        "--metrics-token-file",
        type=Path,
        metavar="FILE",
        help="require 'Authorization: Bearer <the file's content>' for /metrics",
    )
    parser.add_argument(
        "--reload-interval",
        type=_duration,
        default=timedelta(minutes=1),
        metavar="DURATION",
        help="how often the policy sources are re-read (default: 1m)",
    )
    parser.add_argument(
        "--jitter",
        type=lambda text: _duration(text, allow_zero=True),
        default=JITTER_CAP,
        metavar="DURATION",
        help="spread first runs over up to this long, a tenth of the interval at most "
        "(default: 10s)",
    )
    parser.add_argument(
        "--git-workers", type=int, default=2, metavar="N", help="automations run at once"
    )
    parser.add_argument(
        "--shard",
        default="",
        metavar="NAME",
        help=f"run only objects labelled {SHARD_LABEL}: NAME (default: the unlabelled ones)",
    )
    parser.add_argument(
        "--replica-id",
        default=None,
        metavar="ID",
        help="this replica's name in leases and /metrics (default: host name + random suffix)",
    )
    parser.add_argument(
        "--lease-ttl",
        type=_duration,
        default=LEASE_TTL,
        metavar="DURATION",
        help="with a PostgreSQL state: how long a dead replica's work waits before another "
        "takes it over (default: 30s)",
    )


def _duration(text: str, *, allow_zero: bool = False) -> timedelta:
    try:
        value = parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if value < timedelta(0) or (value == timedelta(0) and not allow_zero):
        raise argparse.ArgumentTypeError(f"{text!r}: must be positive")
    return value


def parse_listen(text: str) -> tuple[str, int] | None:
    """`HOST:PORT` -> (host, port); `off` -> None."""
    if text.strip().lower() == "off":
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT (e.g. 127.0.0.1:9292) or off")
    return host.strip("[]"), int(port)


# Per-request and per-scan lines: thousands a minute with a thousand repositories. The
# daemon logs the decisions instead (new tags, new latestRef, push, failure, reload).
CHATTY = ("apscheduler", "httpx", "httpcore", "automation.steps.scan")


def quiet_loggers(verbosity: int) -> None:
    """INFO by default (a daemon reports its decisions); the chatty loggers only with -v."""
    if verbosity == 0:
        logging.getLogger().setLevel(logging.INFO)
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    elif verbosity == 1:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    listen = parse_listen(args.listen)
    exposure = metrics_exposure(args)
    if args.git_workers < 1:
        raise UsageError("--git-workers must be at least 1")
    quiet_loggers(args.verbose)
    sources = tuple(parse_source(s) for s in (args.sources or ["policies"]))
    cache: Path = args.cache or default_cache_dir()
    secrets = tuple(secrets_paths(args.secrets))
    options = DaemonOptions(
        sources, secrets, cache, args.reload_interval, args.git_workers, args.jitter, args.shard
    )
    loaded = load_sources(sources, secrets, policy_cache(cache))
    store = state(args)
    try:
        replica = ReplicaOptions(
            args.replica_id or default_replica_id(), args.shard, args.lease_ttl
        )
        shared = shared_scheduler(store, replica)
        if shared is not None:
            log.info(
                "replica %s (shard %r): sharing work in the state database",
                replica.replica_id,
                args.shard,
            )
        daemon = Daemon(loaded, store, options, shared=shared)
        return asyncio.run(serve(daemon, listen, exposure))
    finally:
        store.close()


@dataclass(frozen=True)
class MetricsExposure:
    """Where /metrics is served (None: with the webhooks) and the bearer token it needs."""

    listen: tuple[str, int] | None = None
    token: str = field(default="", repr=False)


def metrics_exposure(args: argparse.Namespace) -> MetricsExposure:
    listen = None
    if args.metrics_listen:
        listen = parse_listen(args.metrics_listen)
        if listen is None:
            raise UsageError("--metrics-listen: expected HOST:PORT")
    token = ""
    if args.metrics_token_file is not None:
        try:
            token = args.metrics_token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"--metrics-token-file {args.metrics_token_file}: {err}") from None
        if not token:
            raise UsageError(f"--metrics-token-file {args.metrics_token_file}: the file is empty")
    return MetricsExposure(listen, token)


async def serve(
    daemon: Daemon, listen: tuple[str, int] | None, exposure: MetricsExposure | None = None
) -> int:
    """Run until SIGTERM/SIGINT; then stop webhooks, stop the daemon, return 0."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        note = "stopping" if not stop.is_set() else "already stopping"
        log.info("%s on %s", note, signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    servers = _servers(daemon, listen, exposure or MetricsExposure())
    for server in servers:
        try:
            server.start()  # before the jobs: a taken port fails fast
        except OSError as err:
            for started in servers[: servers.index(server)]:
                started.stop()
            flag = "--listen" if "hooks" in server.routes else "--metrics-listen"
            raise AutomationError(f"{flag} {server.host}:{server.port}: {err.strerror}") from None
    notifier = start_notifier(daemon)
    await daemon.start()
    await stop.wait()
    for server in servers:
        await loop.run_in_executor(None, server.stop)
    await daemon.stop()
    await loop.run_in_executor(None, notifier.dispatcher.stop)
    return 0


def start_notifier(daemon: Daemon) -> Notifier:
    """Deliver Flux Alerts from a worker thread; failed deliveries count in the metrics."""

    def failed(provider_type: str) -> None:
        if daemon.observer is not None:
            daemon.observer.failed("notification", provider_type)

    notifier = Notifier(daemon.config, Dispatcher(http_sender(), on_failure=failed).start())
    daemon.chain.notifier = notifier
    return notifier


def _servers(
    daemon: Daemon, listen: tuple[str, int] | None, exposure: MetricsExposure
) -> list[WebhookServer]:
    """The webhook listener and, with --metrics-listen, a listener for /metrics alone."""
    if listen is None and exposure.listen is None:
        return []
    # Imported here: the HTTP side (and prometheus_client) loads only when it is wanted.
    from automation.metrics import Metrics
    from automation.server import resolve_endpoints
    from automation.server.listener import ALL_ROUTES, WebhookServer

    metrics = Metrics()
    observer: Observer = metrics
    daemon.observer = observer
    shared = daemon.scheduler
    if isinstance(shared, SharedScheduler):
        metrics.replica(shared.options.replica_id, lambda: shared.held)
        shared.on_takeover = lambda _job, _previous: metrics.lease_takeover()

    def endpoints(config: Config) -> Sequence[Endpoint]:
        try:
            return resolve_endpoints(config.receivers.values(), config.secrets)
        except ConfigErrors as err:
            log.error("webhook receivers disabled until the config is fixed: %s", err)
            return []

    def repositories(config: Config) -> Mapping[str, ImageRepository]:
        return {str(k): r for k, r in config.image_repositories.items()}

    def server(address: tuple[str, int], routes: frozenset[str]) -> WebhookServer:
        return WebhookServer(
            *address,
            endpoints=_per_config(daemon, endpoints),
            repositories=_per_config(daemon, repositories),
            on_scan=daemon.request_scan,
            ready=daemon.ready,
            metrics=metrics,
            routes=routes,
            metrics_token=exposure.token,
        )

    if exposure.listen is None:
        return [server(listen, ALL_ROUTES)] if listen is not None else []
    servers = [server(exposure.listen, frozenset({"metrics", "health"}))]
    if listen is not None:
        servers.insert(0, server(listen, frozenset({"hooks", "health"})))
    return servers


def _per_config(daemon: Daemon, build: Callable[[Config], T]) -> Callable[[], T]:
    """`build(daemon.config)`, computed once per loaded config (not once per request)."""
    memo: list[tuple[Config, T]] = []

    def get() -> T:
        config = daemon.config
        if not memo or memo[0][0] is not config:
            memo[:] = [(config, build(config))]
        return memo[0][1]

    return get
