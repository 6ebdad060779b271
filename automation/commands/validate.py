"""`image-automation validate PATH...`: load and cross-check every object."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from automation.commands.common import add_config_arguments, add_output_argument, load_report
from automation.errors import ConfigError, ConfigErrors
from automation.output import emit
from automation.steps.crosscheck import crosscheck


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, required=True)
    add_output_argument(parser)


def _error_dict(err: ConfigError) -> dict[str, object]:
    return {"file": err.file, "line": err.line, "field": err.field, "message": err.message}


def run(args: argparse.Namespace) -> int:
    try:
        config, load_errors = load_report(args)
    except ConfigErrors as errs:
        return _report(args, [], errs.errors)
    except ConfigError as err:
        return _report(args, [], [err])
    objects = [
        {
            "kind": o.kind,
            "namespace": o.metadata.namespace,
            "name": o.metadata.name,
            "file": o.source.file,
            "line": o.source.line,
        }
        for table in (
            config.git_repositories,
            config.image_repositories,
            config.image_policies,
            config.automations,
        )
        for o in table.values()
    ]
    errors = in_file_order([*load_errors, *crosscheck(config)])
    return _report(args, objects, errors, config.notices)


def in_file_order(errors: list[ConfigError]) -> list[ConfigError]:
    """Files in the order they were first named, lines ascending within each (stable)."""
    first: dict[str, int] = {}
    for err in errors:
        first.setdefault(err.file, len(first))
    return sorted(errors, key=lambda e: (first[e.file], e.line or 0))


def _report(
    args: argparse.Namespace,
    objects: list[dict[str, object]],
    errors: list[ConfigError],
    warnings: Sequence[str] = (),
) -> int:
    if args.output != "table":  # in table form the warnings were logged on stderr already
        emit(
            {
                "valid": not errors,
                "objects": objects,
                "errors": [_error_dict(e) for e in errors],
                "warnings": list(warnings),
            },
            args.output,
        )
    else:
        for err in errors:
            print(err, file=sys.stderr)
        if errors:
            print(f"{len(errors)} error(s)", file=sys.stderr)
        else:
            print(f"ok: {len(objects)} objects valid")
    return 1 if errors else 0
