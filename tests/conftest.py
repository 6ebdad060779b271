"""Test-wide fixtures. The real servers live in tests/rig/ and are registered here."""

pytest_plugins = [
    "tests.rig.registry",
    "tests.rig.git_remotes",
]
