"""image-automation: keep GitOps manifests pointing at the latest image, by policy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("image-automation")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
