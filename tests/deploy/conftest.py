"""Shows what the image tests measured (base bootstrap, build time, size) after the run."""

from __future__ import annotations

import pytest

MEASURED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in MEASURED:
        terminalreporter.write_line(line)
