from __future__ import annotations

from automation.changeset import Change, ObjectId
from automation.manifests.cache import LocateCache
from automation.manifests.document import update_text
from automation.manifests.locate import locate
from automation.reference import LatestRef

REFS = {
    "app": LatestRef("ghcr.io/acme/app", "v2", "sha256:" + "f" * 64),
    "nodigest": LatestRef("nginx", "1.27"),
}
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  containers:
    - image: ghcr.io/acme/app:v1 # {"$imagepolicy": "apps:app"}
    - image: nginx:1.0 # {"$imagepolicy": "apps:nodigest:tag"}
"""


def test_changes_carry_object_setter_and_line() -> None:
    update = update_text(DEPLOY, REFS, namespace="apps")
    obj = ObjectId("apps/v1", "Deployment", "prod", "web")
    assert update.changes == (
        (obj, Change("ghcr.io/acme/app:v1", str(REFS["app"]), "apps:app", 8)),
        (obj, Change("nginx:1.0", "1.27", "apps:nodigest:tag", 9)),
    )
    assert update.text == DEPLOY.replace("ghcr.io/acme/app:v1 ", str(REFS["app"]) + " ").replace(
        "nginx:1.0 ",
        '"1.27" ',  # a float look-alike is quoted
    )


def test_unchanged_value_is_no_change_and_same_text_object() -> None:
    text = 'image: nginx:1.27 # {"$imagepolicy": "apps:nodigest"}\n'
    update = update_text(text, REFS, namespace="apps")
    assert not update.changed and update.text is text


def test_notes_for_markers_not_applied() -> None:
    text = (
        'a: x # {"$imagepolicy": "other:app"}\n'
        'b: x # {"$imagepolicy": "apps:missing"}\n'
        'c: x # {"$imagepolicy": "apps:app:version"}\n'
    )
    update = update_text(text, REFS, namespace="apps")
    assert update.text == text
    assert [(n.line, n.kind) for n in update.notes] == [
        (1, "out-of-scope"),
        (2, "unknown-policy"),
        (3, "invalid"),
    ]
    assert "unknown setter suffix 'version'" in update.notes[2].message


def test_digest_marker_without_digest_writes_empty_and_warns() -> None:
    text = 'digest: sha256:old # {"$imagepolicy": "apps:nodigest:digest"}\n'
    update = update_text(text, REFS, namespace="apps")
    assert update.text == 'digest: "" # {"$imagepolicy": "apps:nodigest:digest"}\n'
    assert [n.kind for n in update.notes] == ["empty-digest"]
    # the emptied value stays locatable: the next digest fills it
    refilled = update_text(update.text, REFS | {"nodigest": REFS["app"]}, namespace="apps")
    assert (
        refilled.text
        == f'digest: "{REFS["app"].digest}" # {{"$imagepolicy": "apps:nodigest:digest"}}\n'
    )


def test_empty_value_gets_the_value_inserted() -> None:
    text = 'tag: # {"$imagepolicy": "apps:app:tag"}\n'
    assert update_text(text, REFS, namespace="apps").text == (
        'tag: v2 # {"$imagepolicy": "apps:app:tag"}\n'
    )


def test_cache_hit_and_derived_entry() -> None:
    cache = LocateCache()
    first = update_text(DEPLOY, REFS, namespace="apps", cache=cache)
    assert cache.get(DEPLOY) is not None
    derived = cache.get(first.text)
    assert derived == locate(first.text)
    second = update_text(first.text, REFS, namespace="apps", cache=cache)
    assert not second.changed


def test_cache_is_bounded() -> None:
    cache = LocateCache(max_chars=100)
    for i in range(5):
        text = f'a{i}: x # {{"$imagepolicy": "apps:app"}}\n'
        update_text(text, REFS, namespace="apps", cache=cache)
    assert len(cache) <= 3


def test_full_image_marker_on_a_tag_key_is_applied_with_a_warning() -> None:
    text = (
        "image:\n"
        '  repository: nginx # {"$imagepolicy": "apps:nodigest:name"}\n'
        '  tag: "1.0" # {"$imagepolicy": "apps:nodigest"}\n'
        'other: {tag: x, "tag": 1.0} # {"$imagepolicy": "apps:nodigest"}\n'
        'image2: nginx:1.0 # {"$imagepolicy": "apps:nodigest"}\n'
        'mytag: nginx:1.0 # {"$imagepolicy": "apps:nodigest"}\n'
    )
    update = update_text(text, REFS, namespace="apps")
    assert '  tag: "nginx:1.27" #' in update.text  # written as Flux writes it
    (note,) = update.notes
    assert (note.line, note.kind) == (3, "image-on-tag-key")
    assert note.message.startswith("a full-image marker on a `tag:` key writes 'nginx:1.27'")
    assert 'did you mean "apps:nodigest:tag"?' in note.message
