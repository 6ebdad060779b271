"""Linear-time parsers for the two structured headers a registry sends us.

`WWW-Authenticate` (RFC 9110 section 11.6.1: `scheme param=value, param="quoted"`) and
`Link` (RFC 8288: `<uri>; rel="next", <uri>; rel=prev`). Both come from a registry that may
be hostile, so each parser looks at every character at most a constant number of times
(no backtracking regular expressions) and refuses a header longer than its cap before
looking at it at all: a 60 KB header costs microseconds, not seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

# Distribution's challenges are ~200 bytes and its Link headers ~400 (a 255-byte repository
# name plus a 128-byte tag); these caps leave room for any real registry.
MAX_CHALLENGE_BYTES = 4096
MAX_LINK_BYTES = 8192

_TOKEN_CHARS = frozenset(  # RFC 9110 tchar
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_SPACE = " \t"


class HeaderTooLargeError(ValueError):
    """A header is longer than we are willing to parse."""


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower-case: "bearer" or "basic"
    params: dict[str, str]


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _token(text: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] in _TOKEN_CHARS:
        i += 1
    return text[start:i], i


def _quoted(text: str, i: int) -> tuple[str, int]:
    """`text[i]` is the opening quote; returns the unescaped value and the index after it."""
    out: list[str] = []
    i += 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\" and i + 1 < len(text):
            i += 1
            char = text[i]
        out.append(char)
        i += 1
    return "".join(out), i  # unterminated: take what there is


def _value(text: str, i: int, stop: str) -> tuple[str, int]:
    """A quoted string, or everything up to the next character in `stop` (stripped)."""
    if i < len(text) and text[i] == '"':
        return _quoted(text, i)
    start = i
    while i < len(text) and text[i] not in stop:
        i += 1
    return text[start:i].strip(), i


def parse_challenge(header: str) -> Challenge | None:
    """`Bearer realm="https://a/token",scope="repository:x:pull,push"` -> Challenge.

    Only the first challenge of the header is read; parameter names are lower-cased.
    Raises `HeaderTooLargeError` past `MAX_CHALLENGE_BYTES`.
    """
    if len(header) > MAX_CHALLENGE_BYTES:
        raise HeaderTooLargeError(f"WWW-Authenticate header over {MAX_CHALLENGE_BYTES} bytes")
    i = _skip_space(header, 0)
    scheme, i = _token(header, i)
    if not scheme:
        return None
    params: dict[str, str] = {}
    while i < len(header):
        i = _skip_space(header, i)
        while i < len(header) and header[i] == ",":
            i = _skip_space(header, i + 1)
        name, after = _token(header, i)
        j = _skip_space(header, after)
        if not name or j >= len(header) or header[j] != "=":
            break  # token68, garbage, or the next challenge's scheme: stop here
        value, i = _value(header, _skip_space(header, j + 1), ", \t")
        params[name.lower()] = value
        i = _skip_space(header, i)
        if i < len(header) and header[i] != ",":
            break
    return Challenge(scheme=scheme.lower(), params=params)


def next_link(values: list[str]) -> str | None:
    """The target of the first `rel="next"` link in the `Link` header values, or None.

    Raises `HeaderTooLargeError` when the values together exceed `MAX_LINK_BYTES`.
    """
    if sum(len(value) for value in values) > MAX_LINK_BYTES:
        raise HeaderTooLargeError(f"Link header over {MAX_LINK_BYTES} bytes")
    for value in values:
        target = _next_in(value)
        if target is not None:
            return target
    return None


def _next_in(text: str) -> str | None:
    i = 0
    while i < len(text):
        i = _skip_space(text, i)
        if i >= len(text) or text[i] != "<":
            return None  # not a link-value: nothing more we can trust
        end = text.find(">", i + 1)
        if end < 0:
            return None
        target = text[i + 1 : end].strip()
        is_next, i = _link_params(text, end + 1)
        if is_next:
            return target
        i += 1  # past the comma between link-values
    return None


def _link_params(text: str, i: int) -> tuple[bool, int]:
    """Reads `; name=value` pairs up to the comma ending this link-value."""
    is_next = False
    while True:
        i = _skip_space(text, i)
        if i >= len(text) or text[i] == ",":
            return is_next, i
        if text[i] != ";":
            i = _skip_to_comma(text, i)
            return is_next, i
        name, i = _token(text, _skip_space(text, i + 1))
        i = _skip_space(text, i)
        value = ""
        if i < len(text) and text[i] == "=":
            value, i = _value(text, _skip_space(text, i + 1), ";,")
        if name.lower() == "rel" and "next" in value.lower().split():
            is_next = True


def _skip_to_comma(text: str, i: int) -> int:
    while i < len(text) and text[i] != ",":
        if text[i] == '"':
            i = _quoted(text, i)[1]
        else:
            i += 1
    return i
