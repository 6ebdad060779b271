"""Test-wide fixtures. The real servers live in tests/rig/ and are registered here."""

import os

# The rig's bare repositories are file:// remotes named in test policy files; the operator
# switch that allows that is on for the suite (tests/git/test_transport.py turns it off).
os.environ["IMAGE_AUTOMATION_ALLOW_FILE_REMOTES"] = "1"

pytest_plugins = [
    "tests.rig.registry",
    "tests.rig.git_remotes",
    "tests.rig.proxy",
    "tests.rig.postgres",
]
