from __future__ import annotations

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset

A = ObjectId("v1", "A", "ns", "a")
B = ObjectId("v1", "B", "ns", "b")


def test_grouping_and_deterministic_order() -> None:
    changes = build_changeset(
        [
            ("z.yaml", B, Change("1", "2", "ns:p", 3)),
            ("a.yaml", B, Change("1", "2", "ns:p", 1)),
            ("a.yaml", A, Change("3", "4", "ns:q", 2)),
            ("a.yaml", B, Change("5", "6", "ns:p", 9)),
        ]
    )
    assert changes.paths == ("a.yaml", "z.yaml")
    first = changes.files[0]
    assert [o.object for o in first.objects] == [B, A]  # order of first appearance
    assert [c.line for c in first.objects[0].changes] == [1, 9]
    assert len(changes) == 4 and bool(changes)
    assert changes.objects() == (B, A)
    assert changes.new_values() == ("2", "6", "4")  # object by object


def test_merge_and_empty() -> None:
    one = build_changeset([("b.yaml", A, Change("1", "2", "ns:p"))])
    two = build_changeset([("a.yaml", A, Change("3", "4", "ns:p"))])
    merged = one.merge(two)
    assert merged.paths == ("a.yaml", "b.yaml")
    assert not ChangeSet() and len(ChangeSet()) == 0


def test_to_dict_and_str() -> None:
    changes = build_changeset([("a.yaml", A, Change("1", "2", "ns:p", 4))])
    assert changes.to_dict() == {
        "files": [
            {
                "path": "a.yaml",
                "objects": [
                    {
                        "apiVersion": "v1",
                        "kind": "A",
                        "namespace": "ns",
                        "name": "a",
                        "changes": [{"old": "1", "new": "2", "setter": "ns:p", "line": 4}],
                    }
                ],
            }
        ]
    }
    assert str(A) == "A/ns/a"
