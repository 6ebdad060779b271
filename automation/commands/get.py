"""`image-automation get repositories|policies|automations`: status in Flux's shape."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from automation.commands import requests, status
from automation.commands.common import (
    add_config_arguments,
    add_output_argument,
    add_state_argument,
    load,
    state,
)
from automation.config import Config
from automation.output import emit, table
from automation.state import StateStore

RESOURCES = {
    "repositories": ("repository", "repositories", "imagerepositories", "imagerepository"),
    "policies": ("policy", "policies", "imagepolicies", "imagepolicy"),
    "automations": ("automation", "automations", "imageupdateautomations"),
    "requests": ("request", "requests", "changerequests"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = [n for aliases in RESOURCES.values() for n in aliases]
    parser.add_argument(
        "resource", choices=names, metavar="repositories|policies|automations|requests"
    )
    add_config_arguments(parser)
    add_state_argument(parser)
    add_output_argument(parser)


def _config(args: argparse.Namespace) -> Config | None:
    if not args.paths and not Path("policies").is_dir():
        return None  # state only: still useful on a machine without the policy files
    return load(args)


def _keys(config_keys: list[str], state_keys: list[str]) -> list[str]:
    return sorted(set(config_keys) | set(state_keys))


def _documents(kind: str, config: Config | None, store: StateStore) -> list[dict[str, Any]]:
    if kind == "repositories":
        repos = {str(k): v for k, v in (config.image_repositories if config else {}).items()}
        scans = {s.key: s for s in store.list_scans()}
        return [
            status.repository_status(k, repos.get(k), scans.get(k))
            for k in _keys(list(repos), list(scans) if config is None else [])
        ]
    if kind == "policies":
        policies = {str(k): v for k, v in (config.image_policies if config else {}).items()}
        records = {r.key: r for r in store.list_policies()}
        docs = []
        for key in _keys(list(policies), list(records) if config is None else []):
            record = records.get(key)
            pinned = None
            if record is not None and record.pinned_generation is not None:
                pinned = next(
                    (e for e in store.history(key) if e.generation == record.pinned_generation),
                    None,
                )
            mirror = store.get_mirror(key)
            docs.append(status.policy_status(key, policies.get(key), record, pinned, mirror))
        return docs
    autos = {str(k): v for k, v in (config.automations if config else {}).items()}
    runs = {r.key: r for r in store.list_automations()}
    return [
        status.automation_status(k, autos.get(k), runs.get(k))
        for k in _keys(list(autos), list(runs) if config is None else [])
    ]


def _ready(doc: dict[str, Any]) -> str:
    condition = doc["status"]["conditions"][0]
    return "True" if condition["status"] == "True" else "False"


def _row(kind: str, doc: dict[str, Any]) -> list[object]:
    meta, st = doc["metadata"], doc["status"]
    name = f"{meta['namespace']}/{meta['name']}"
    message = st["conditions"][0]["message"]
    if kind == "repositories":
        scan = st.get("lastScanResult", {})
        return [
            name,
            st.get("canonicalImageName"),
            scan.get("tagCount"),
            scan.get("scanTime"),
            _ready(doc),
            message,
        ]
    if kind == "policies":
        ref = st.get("latestRef")
        latest = f"{ref['name']}:{ref['tag']}" if ref else None
        pin = st.get("rollback", {}).get("generation")
        return [
            name,
            latest,
            (ref or {}).get("digest", "")[:19] or None,
            f"gen {pin}" if pin else None,
            _ready(doc),
            message,
        ]
    return [
        name,
        st.get("lastAutomationRunTime"),
        (st.get("lastPushCommit") or "")[:8] or None,
        _ready(doc),
        message,
    ]


HEADERS = {
    "repositories": ["NAME", "IMAGE", "TAGS", "LAST SCAN", "READY", "MESSAGE"],
    "policies": ["NAME", "LATEST", "DIGEST", "PINNED", "READY", "MESSAGE"],
    "automations": ["NAME", "LAST RUN", "LAST PUSH", "READY", "MESSAGE"],
}


def run(args: argparse.Namespace) -> int:
    kind = next(k for k, aliases in RESOURCES.items() if args.resource in aliases)
    if kind == "requests":  # asks the forges, not the state store
        return requests.run(args)
    config = _config(args)
    docs = _documents(kind, config, state(args))
    if args.output != "table":
        emit({"apiVersion": "v1", "kind": "List", "items": docs}, args.output)
        return 0
    table(HEADERS[kind], [_row(kind, d) for d in docs])
    return 0
