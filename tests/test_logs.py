"""Log lines: userinfo dropped from URLs, Authorization values masked in both formats."""

from __future__ import annotations

import json
import logging

import pytest

from automation.logs import configure_logging, redact_url, scrub


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:secret@git.example:8443/r.git", "https://git.example:8443/r.git"),
        ("https://token@git.example/r.git", "https://git.example/r.git"),
        ("https://git.example/r.git", "https://git.example/r.git"),
        ("ssh://git@host/r.git", "ssh://host/r.git"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_masks_authorization_values() -> None:
    text = "headers {'Authorization': 'Bearer abc.def'} and authorization=Basic dXNlcg=="
    assert scrub(text) == "headers {'Authorization': 'Bearer ***'} and authorization=Basic ***"


def test_json_lines_carry_fields_and_no_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(verbosity=1, fmt="json")
    try:
        logging.getLogger("automation.test").info(
            "sent Authorization: Bearer s3cret", extra={"fields": {"object": "apps/app"}}
        )
    finally:
        configure_logging()
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["msg"] == "sent Authorization: Bearer ***"
    assert line["object"] == "apps/app" and line["level"] == "info"
