"""Mirroring a large image between two real registries: throughput and memory held.

Starts two rig registries (source and mirror), pushes one image whose layer is SIZE MiB of
incompressible bytes, then copies it with `automation.registry.copy.copy_image` and prints:
  copy:    wall time and MiB/s for the first copy (GET from the source, chunked PATCH uploads);
  memory:  the largest amount of Python memory allocated during the copy (tracemalloc peak), to
           show a layer is never held whole (bounded by the upload chunk, 16 MiB by default);
  again:   wall time and requests of a second copy of the same digest (HEADs only);
  mount:   wall time for a copy between two repositories of the same registry (blob mounts).

    python benchmarks/mirror_copy.py [--size 256] [--chunk 16]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automation.reference import parse_repository
from automation.registry import ScanOptions
from automation.registry.copy import CopyReport, Endpoint, copy_image
from automation.registry.transfer import TransferClient
from tests.rig import images
from tests.rig.registry import RegistryServer, running_registry

MIB = 1 << 20


def push_big_image(server: RegistryServer, repo: str, size: int) -> images.PushedImage:
    """One image whose single layer is `size` bytes (pushed as a raw blob: no gzip in RAM twice)."""
    layer = b"".join(
        hashlib.shake_256(i.to_bytes(4, "big")).digest(MIB) for i in range(size // MIB)
    )
    config = images.make_config(images.make_layer(b"x"), ("linux", "amd64"))
    manifest = images.make_manifest(config, layer, images.OCI_MANIFEST)
    with server.client(timeout=600) as http:
        images.upload_blob(http, repo, config)
        images.upload_blob(http, repo, layer)
        digest = images.put_manifest(http, repo, "1.0.0", manifest, images.OCI_MANIFEST)
    return images.PushedImage(repo, "1.0.0", digest, manifest, images.OCI_MANIFEST)


def endpoint(server: RegistryServer, repo: str) -> Endpoint:
    options = ScanOptions(insecure=True, rate=None, read_timeout=600, write_timeout=600)
    return Endpoint(TransferClient(server.host, options), parse_repository(f"{server.host}/{repo}"))


async def timed_copy(
    source: Endpoint, target: Endpoint, digest: str, chunk: int
) -> tuple[CopyReport, float, int]:
    async with source.client, target.client:
        start = time.perf_counter()
        report = await copy_image(source, target, digest, "1.0.0", chunk_size=chunk)
        elapsed = time.perf_counter() - start
    return report, elapsed, source.client.requests + target.client.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="layer size in MiB")
    parser.add_argument("--chunk", type=int, default=16, help="upload chunk in MiB")
    args = parser.parse_args()
    size, chunk = args.size * MIB, args.chunk * MIB
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_registry(Path(tmp, "source")) as source,
        running_registry(Path(tmp, "mirror")) as mirror,
    ):
        pushed = push_big_image(source, "bench/big", size)
        tracemalloc.start()
        report, elapsed, _ = asyncio.run(
            timed_copy(
                endpoint(source, "bench/big"), endpoint(mirror, "m/big"), pushed.digest, chunk
            )
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"copy:   {report.bytes_copied / MIB:.0f} MiB in {elapsed:.2f} s "
            f"= {report.bytes_copied / MIB / elapsed:.0f} MiB/s"
        )
        print(
            f"memory: tracemalloc peak {peak / MIB:.1f} MiB during the copy "
            f"(layer {args.size} MiB, chunk {args.chunk} MiB)"
        )
        _, again, requests = asyncio.run(
            timed_copy(
                endpoint(source, "bench/big"), endpoint(mirror, "m/big"), pushed.digest, chunk
            )
        )
        print(f"again:  {again * 1000:.1f} ms, {requests} requests (probes + one HEAD)")
        mounted, mount_time, _ = asyncio.run(
            timed_copy(
                endpoint(source, "bench/big"),
                endpoint(source, "other/big"),
                pushed.digest,
                chunk,
            )
        )
        print(
            f"mount:  {mount_time * 1000:.1f} ms, {mounted.blobs_mounted} blobs mounted, "
            f"{mounted.bytes_copied} bytes copied"
        )


if __name__ == "__main__":
    main()
