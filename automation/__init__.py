"""image-automation: keep GitOps manifests pointing at the latest image, by policy."""

# The one place the version is written (pyproject.toml reads it from here): reading it back
# through importlib.metadata would cost ~50 ms, more than the rest of `--help` together.
__version__ = "0.1.0"
