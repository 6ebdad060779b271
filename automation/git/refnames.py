"""Branch names, ref names and push refspecs from policy files, checked against git's grammar.

In: a value from a policy file (``git.push.branch``, ``git.push.refspec``, a checkout ref)
or a tag name a git host listed. Out: the value unchanged, or a ``StalledError`` naming the
field and the rule it breaks.

The rules are git's own (Documentation/git-check-ref-format.txt, refs.c
``check_refname_component``), plus two of ours: nothing may start with ``-`` (so no value
can ever be read as an option, even where git has no ``--``), and a push refspec may not
force (``+``), delete (empty source) or fan out (``*``): pushes here are never forced and
touch only the refs named.
"""

from __future__ import annotations

from automation.errors import StalledError

_FORBIDDEN = frozenset(" ~^:?*[\\\x7f")


def ref_problem(name: str, *, one_level: bool = True) -> str | None:
    """Why ``name`` is not a valid ref name, or None. Linear in its length."""
    if not name:
        return "is empty"
    if name.startswith("-"):
        return "starts with '-'"
    if name == "@":
        return "is '@'"
    if any(ord(c) < 0x20 or c in _FORBIDDEN for c in name):
        return "contains a space, a control character or one of ~ ^ : ? * [ \\"
    if "@{" in name or ".." in name:
        return "contains '@{' or '..'"
    if name.endswith(".") or name.startswith("/") or name.endswith("/"):
        return "starts or ends with '/' or ends with '.'"
    parts = name.split("/")
    if not one_level and len(parts) < 2:
        return "must have at least two components (refs/...)"
    for part in parts:
        if not part:
            return "contains '//'"
        if part.startswith(".") or part.endswith(".lock"):
            return "has a component starting with '.' or ending with '.lock'"
    return None


def check_branch(branch: str, field: str) -> str:
    """A branch name as ``git check-ref-format --branch`` accepts it."""
    problem = ref_problem(branch) or ref_problem(f"refs/heads/{branch}", one_level=False)
    if problem or branch == "HEAD":
        raise StalledError(f"{field} {branch!r} is not a valid branch name: {problem or 'HEAD'}")
    return branch


def check_tag(tag: str, field: str) -> str:
    problem = ref_problem(tag) or ref_problem(f"refs/tags/{tag}", one_level=False)
    if problem:
        raise StalledError(f"{field} {tag!r} is not a valid tag name: {problem}")
    return tag


def check_full_ref(name: str, field: str) -> str:
    """A full ref name (``refs/pull/1/head``) or ``HEAD``."""
    problem = None if name == "HEAD" else ref_problem(name, one_level=False)
    if problem is None and name != "HEAD" and not name.startswith("refs/"):
        problem = "must start with 'refs/'"
    if problem:
        raise StalledError(f"{field} {name!r} is not a valid ref name: {problem}")
    return name


def check_push_refspec(refspec: str, field: str = "spec.git.push.refspec") -> str:
    """``<src>[:<dst>]`` with both sides valid ref names; no force, deletion or pattern."""
    if refspec.startswith("+"):
        raise StalledError(
            f"{field} {refspec!r} asks for a forced push ('+'); pushes are never forced"
        )
    source, colon, destination = refspec.partition(":")
    if not source:
        raise StalledError(f"{field} {refspec!r} has an empty source, which deletes the remote ref")
    for side, value in (("source", source), ("destination", destination)):
        if side == "destination" and not colon:
            continue
        problem = ref_problem(value)
        if problem:
            raise StalledError(f"{field} {refspec!r}: the {side} {value!r} {problem}")
    return refspec


def check_push_option(key: str, value: str) -> None:
    """``git push -o`` values may not hold newlines (git refuses them) nor NULs."""
    for text in (key, value):
        if any(ord(c) < 0x20 or c == "\x7f" for c in text):
            raise StalledError(f"spec.git.push.options {key!r}: control characters are not allowed")
    if not key:
        raise StalledError("spec.git.push.options: an option has an empty name")
