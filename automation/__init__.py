"""image-automation: keep GitOps manifests pointing at the latest image, by policy."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # `__version__` is looked up on first use: importlib.metadata costs more than the rest of
    # `--help` together, and only `--version` needs it (PEP 562 module __getattr__).
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("image-automation")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
