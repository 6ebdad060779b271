"""image-automation: keep GitOps manifests pointing at the latest image, by policy."""

# Written here as well as in pyproject.toml (a test checks they agree): reading it back
# through importlib.metadata would cost ~50 ms, more than the rest of `--help` together.
__version__ = "0.1.0"
