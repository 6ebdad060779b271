"""Write new YAML documents (the ImageSet): plain data in, block-style YAML text out.

Keys keep their insertion order and lines are never folded: ruamel's default width (80)
would break a `digest: sha256:...` line after the key, leaving a trailing space.
"""

from __future__ import annotations

import io

from ruamel.yaml import YAML

NO_FOLDING = 1 << 16


def dump_document(data: object) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = NO_FOLDING
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
