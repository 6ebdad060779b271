"""Replicas on one PostgreSQL: 1 vs 3 `run` processes scanning many slow ImageRepositories.

Starts a real PostgreSQL (the test rig, with pg_stat_statements), a real registry seeded with
REPOS repositories, and a delaying TCP proxy in front of the registry that holds every chunk
from client to registry for LATENCY ms (one HTTP request ~ one chunk: a slow registry). Writes
one ImageRepository (interval 1h) and one ImagePolicy per repository, all through the proxy.
For 1 and then 3 replicas on a fresh database: start them, wait for the first full scan, then
trigger CYCLES full rescans through the database and print for each:
  cold:    seconds from starting the processes until every repository has been scanned once
           (whole processes: start-up, migrations, registration, the first scan);
  cycle:   warm, in the running processes: seconds from the trigger until every repository has
           a newer scan time (best and median); the ratio 3 replicas / 1 (target <= 0.45);
  share:   scans per replica from each one's /metrics (target: each within 20 % of even);
  load:    statements the server executed per repository per cycle (pg_stat_statements,
           this script's own progress queries left out; BEGIN and COMMIT count);
  CPU:     CPU seconds the replicas used per cycle, and how busy the whole machine was (a
           cycle bound by CPU rather than registry latency cannot shrink with more replicas).

    python benchmarks/replicas.py [--repos 3000] [--latency-ms 50] [--cycles 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan import seed_in_child  # benchmarks/scan.py: tags via the registry HTTP API

from tests.rig.ports import free_port
from tests.rig.postgres import PASSWORD, PostgresServer, launch
from tests.rig.registry import running_registry

SCANS = re.compile(r'^image_automation_scans_total\{result="ok"\} ([0-9.e+]+)$', re.M)


# -- the delaying proxy ---------------------------------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while chunk := await reader.read(65536):
            if delay:
                await asyncio.sleep(delay)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _proxy(listen: int, upstream: int, delay: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        await asyncio.gather(_pipe(reader, up_writer, delay), _pipe(up_reader, writer, 0.0))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


def start_proxy(upstream: int, latency: float) -> tuple[multiprocessing.Process, int]:
    port = free_port()
    proc = multiprocessing.get_context("fork").Process(
        target=lambda: asyncio.run(_proxy(port, upstream, latency)), daemon=True
    )
    proc.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=2)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("delaying proxy did not start")


# -- the fleet and the replicas -------------------------------------------------------------


def write_policies(folder: Path, host: str, repos: list[str]) -> None:
    docs = []
    for i, repo in enumerate(repos):
        docs.append(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata: {{name: r{i}, namespace: bench}}\n"
            f"spec: {{image: '{host}/{repo}', interval: 1h, insecure: true}}\n"
            f"---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
            f"metadata: {{name: p{i}, namespace: bench}}\n"
            f"spec:\n  imageRepositoryRef: {{name: r{i}}}\n"
            f"  policy: {{semver: {{range: '>=1.0.0'}}}}\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.yaml").write_text("---\n".join(docs))


def start_replicas(
    n: int, url: str, work: Path, policies: Path
) -> list[tuple[subprocess.Popen[bytes], int]]:
    out = []
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    for i in range(n):
        port = free_port()
        argv = [
            sys.executable, "-m", "automation", "--log-format", "json", "run", str(policies),
            "--state", url, "--cache", str(work / f"cache{i}"), "--replica-id", f"r{i}",
            "--listen", f"127.0.0.1:{port}", "--jitter", "0s", "--reload-interval", "1h",
        ]  # fmt: skip
        with (work / f"replica{n}-{i}.log").open("wb") as log:
            child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        out.append((child, port))
    for child, port in out:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    return out


def scans_done(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found = SCANS.search(text)
    return float(found.group(1)) if found else 0.0


def scanned_since(conn: psycopg.Connection[tuple[object, ...]], since: datetime) -> int:
    # Counted by the server: parsing every row here would put this script's CPU in the numbers.
    row = conn.execute(
        "SELECT count(*) FROM scans WHERE scan_time::timestamptz >= %s", (since,)
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def wait_scanned(conn: psycopg.Connection[tuple[object, ...]], since: datetime, n: int) -> float:
    started = time.monotonic()
    while scanned_since(conn, since) < n:
        time.sleep(0.1)
        if time.monotonic() - started > 600:
            raise SystemExit("a cycle took over 10 minutes")
    return time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core (Linux /proc)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def statements(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    calls = conn.execute(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
        "WHERE query NOT ILIKE '%pg_stat%' "
        "AND query NOT ILIKE '%FROM scans WHERE scan_time::timestamptz%' "
        "AND query NOT ILIKE 'SELECT now()' AND query NOT ILIKE 'UPDATE jobs SET next_run = now()%'"
    ).fetchone()
    assert calls is not None
    return int(str(calls[0]))


def measure(
    n: int, server: PostgresServer, work: Path, policies: Path, repos: int, cycles: int
) -> dict[str, object]:
    url = server.create_database()
    conn = psycopg.connect(url, password=PASSWORD, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    launched = time.monotonic()
    replicas = start_replicas(n, url, work, policies)
    try:
        wait_scanned(conn, datetime(2000, 1, 1, tzinfo=UTC), repos)
        cold = time.monotonic() - launched
        times, shares, stmts, cpus, busy = [], [], [], [], []
        for _ in range(cycles):
            before = [scans_done(p) for _, p in replicas]
            cpu0 = sum(cpu_seconds(c.pid) for c, _ in replicas)
            machine0 = machine_busy()
            calls0 = statements(conn)
            since = conn.execute("SELECT now()").fetchone()
            assert since is not None
            conn.execute(
                "UPDATE jobs SET next_run = now(), triggered = TRUE WHERE name LIKE 'scan:%'; "
                "NOTIFY image_automation_jobs"
            )
            times.append(wait_scanned(conn, since[0], repos))  # type: ignore[arg-type]
            cpus.append(sum(cpu_seconds(c.pid) for c, _ in replicas) - cpu0)
            machine1 = machine_busy()
            busy.append((machine1[0] - machine0[0]) / (machine1[1] - machine0[1]))
            time.sleep(0.5)  # the last releases land
            stmts.append((statements(conn) - calls0) / repos)
            shares.append([scans_done(p) - b for (_, p), b in zip(replicas, before, strict=True)])
    finally:
        for child, _ in replicas:
            child.send_signal(signal.SIGTERM)
        for child, _ in replicas:
            child.wait(timeout=120)
        conn.close()
    return {
        "cold": cold, "times": times, "shares": shares, "stmts": stmts, "cpus": cpus, "busy": busy
    }  # fmt: skip


def report(n: int, result: dict[str, object], baseline: float | None) -> float:
    times = sorted(result["times"])  # type: ignore[type-var]
    best, median = times[0], statistics.median(times)
    ratio = f"  ({median / baseline:.2f}x of one replica)" if baseline else ""
    print(f"{n} replica(s): cycle best {best:.2f}s median {median:.2f}s{ratio}")
    print(
        f"    cold: {result['cold']:.2f}s from starting the processes to every repository scanned"
    )
    for shares in result["shares"]:  # type: ignore[attr-defined]
        even = sum(shares) / len(shares)
        spread = ", ".join(f"{s:.0f} ({(s / even - 1) * 100:+.0f}%)" for s in shares)
        print(f"    scans per replica: {spread}")
    stmts = statistics.median(result["stmts"])  # type: ignore[arg-type]
    print(f"    database: {stmts:.1f} statements per repository and cycle")
    cpu = statistics.median(result["cpus"])  # type: ignore[arg-type]
    busy = statistics.median(result["busy"])  # type: ignore[arg-type]
    print(
        f"    CPU: replicas {cpu:.1f} s per cycle ({cpu / median:.2f} cores); whole machine "
        f"{busy * 100:.0f}% busy over {os.cpu_count()} cores (other jobs included)"
    )
    return median


def run(args: argparse.Namespace, work: Path) -> None:
    if shutil.which("setpriv") is None and os.geteuid() == 0:
        raise SystemExit("needs util-linux setpriv to run PostgreSQL as nobody")
    repos = [f"bench/app-{i:04d}" for i in range(args.repos)]
    server = launch(settings={"shared_preload_libraries": "pg_stat_statements"})
    try:
        with running_registry(work / "registry") as registry:
            seed_in_child(registry, repos, args.tags)
            proxy, port = start_proxy(int(registry.host.rsplit(":", 1)[1]), args.latency_ms / 1000)
            try:
                write_policies(work / "policies", f"127.0.0.1:{port}", repos)
                print(f"{args.repos} ImageRepositories + ImagePolicies, {args.tags} tags each, "
                      f"registry latency {args.latency_ms} ms/request, "
                      f"{os.cpu_count()} CPUs shared by everything")  # fmt: skip
                policies = work / "policies"
                one = report(1, measure(1, server, work, policies, args.repos, args.cycles), None)
                report(3, measure(3, server, work, policies, args.repos, args.cycles), one)
            finally:
                proxy.kill()
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=3000)
    parser.add_argument("--tags", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
