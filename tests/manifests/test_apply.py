from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from automation.changeset import Change, ObjectId
from automation.manifests.apply import apply_refs, write_atomically
from automation.reference import LatestRef

TESTDATA = Path(__file__).parent / "testdata"
FLUX_REFS = {
    "policy": LatestRef("index.repo.fake/updated", "v1.0.1"),
    "unchanged": LatestRef("image", "v1.0.0"),
    "policy-with-digest": LatestRef(
        "image", "v1.0.0", "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be"
    ),
}
REFS = {"p": LatestRef("nginx", "1.27.3")}
MARKED = 'image: nginx:1.0.0 # {"$imagepolicy": "apps:p"}\n'


def flux_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(TESTDATA / "flux-setters" / "original", repo)
    os.symlink("testing.yaml", repo / "test.yaml")  # Flux's dangling-symlink regression
    return repo


def test_flux_change_records(tmp_path: Path) -> None:
    """The exact records of Flux's TestUpdateWithSetters
    (fluxcd/image-automation-controller pkg/update/update_test.go)."""
    result = apply_refs(flux_repo(tmp_path), ".", FLUX_REFS, namespace="automation-ns")
    kustomization = ObjectId("kustomize.config.k8s.io/v1beta1", "Kustomization", "", "")
    digest = FLUX_REFS["policy-with-digest"].digest
    records = [(path, obj, (c.old, c.new, c.setter)) for path, obj, c in result.changes]
    assert records == [
        (
            "Kustomization",
            kustomization,
            ("replaced", "index.repo.fake/updated", "automation-ns:policy:name"),
        ),
        ("Kustomization", kustomization, ("v1", "v1.0.1", "automation-ns:policy:tag")),
        (
            "kustomization.yml",
            kustomization,
            ("replaced", "index.repo.fake/updated", "automation-ns:policy:name"),
        ),
        ("kustomization.yml", kustomization, ("v1", "v1.0.1", "automation-ns:policy:tag")),
        (
            "kustomization.yml",
            kustomization,
            ("sha256:1234567890abcdef", digest, "automation-ns:policy-with-digest:digest"),
        ),
        (
            "kustomization.yml",
            kustomization,
            ("image", f"image:v1.0.0@{digest}", "automation-ns:policy-with-digest"),
        ),
        (
            "marked.yaml",
            ObjectId("batch/v1beta1", "CronJob", "bar", "foo"),
            ("image:v1.0.0", "index.repo.fake/updated:v1.0.1", "automation-ns:policy"),
        ),
    ]
    assert [(n.path, n.kind) for n in result.skipped_markers] == [("otherns.yaml", "out-of-scope")]
    assert result.ok and not result.problem_files


def test_dry_run_writes_nothing_and_diffs(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: 1\n" + MARKED)
    (tmp_path / "b.yaml").write_bytes(b"x: 1\n" + MARKED.rstrip("\n").encode())
    result = apply_refs(tmp_path, ".", REFS, namespace="apps", dry_run=True)
    assert (tmp_path / "a.yaml").read_text() == "x: 1\n" + MARKED
    assert result.changes.paths == ("a.yaml", "b.yaml")
    assert result.diffs["a.yaml"] == (
        "--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,2 @@\n x: 1\n"
        '-image: nginx:1.0.0 # {"$imagepolicy": "apps:p"}\n'
        '+image: nginx:1.27.3 # {"$imagepolicy": "apps:p"}\n'
    )
    assert result.diffs["b.yaml"].endswith('"apps:p"}\n\\ No newline at end of file\n')


def test_writes_keep_mode_and_untouched_files_are_not_written(tmp_path: Path) -> None:
    changed, same, plain = tmp_path / "changed.yaml", tmp_path / "same.yaml", tmp_path / "p.yaml"
    changed.write_text(MARKED)
    same.write_text(MARKED.replace("1.0.0", "1.27.3"))
    plain.write_text("a: b\n")
    os.chmod(changed, 0o640)
    before = {p: p.stat() for p in (same, plain)}
    result = apply_refs(tmp_path, ".", REFS, namespace="apps")
    assert result.changes.paths == ("changed.yaml",)
    assert stat.S_IMODE(changed.stat().st_mode) == 0o640
    for path, st in before.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changed.yaml", "p.yaml", "same.yaml"]


def test_symlinked_file_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text(MARKED)
    os.symlink("real.yaml", tmp_path / "link.yaml")
    result = apply_refs(tmp_path, "link.yaml", REFS, namespace="apps")
    assert (tmp_path / "link.yaml").is_symlink()
    assert "nginx:1.27.3" in (tmp_path / "real.yaml").read_text()
    assert result.changes.paths == ("real.yaml",)  # the file written is the one to stage


def test_a_broken_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text('a: [b\nimage: x # {"$imagepolicy": "apps:p"}\n')
    (tmp_path / "latin1.yaml").write_bytes(b"# caf\xe9\n" + MARKED.encode())
    (tmp_path / "templ.yaml").write_text("{{ if .x }}\n" + MARKED + "{{ end }}\n")
    (tmp_path / "good.yaml").write_text(MARKED)
    result = apply_refs(tmp_path, ".", REFS, namespace="apps")
    assert result.changes.paths == ("good.yaml",)
    problems = {p.path: p for p in result.problem_files}
    assert sorted(problems) == ["broken.yaml", "latin1.yaml", "templ.yaml"]
    assert problems["broken.yaml"].line == 2 and "does not parse" in problems["broken.yaml"].message
    assert "not UTF-8" in problems["latin1.yaml"].message
    assert not result.ok


def test_invalid_marker_makes_the_result_not_ok(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text('image: x # {"$imagepolicy": "apps:p:version"}\n')
    result = apply_refs(tmp_path, ".", REFS, namespace="apps")
    assert not result.ok and result.invalid_markers[0].path == "a.yaml"
    assert str(result.invalid_markers[0]).startswith('a.yaml:1: marker "apps:p:version"')


def test_changes_object_grouping(tmp_path: Path) -> None:
    (tmp_path / "multi.yaml").write_text(
        "kind: A\nmetadata:\n  name: one\n"
        + MARKED
        + "---\nkind: B\n"
        + MARKED
        + "---\nkind: A\nmetadata:\n  name: one\n"
        + MARKED.replace("image:", "second:")
    )
    result = apply_refs(tmp_path, ".", REFS, namespace="apps")
    (file_changes,) = result.changes.files
    assert [(o.object.kind, len(o.changes)) for o in file_changes.objects] == [("A", 2), ("B", 1)]
    assert file_changes.objects[0].changes[1] == Change("nginx:1.0.0", "nginx:1.27.3", "apps:p", 12)


def test_write_atomically_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("old")
    os.chmod(target, 0o600)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]


def test_write_atomically_when_its_temporary_name_is_taken(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("old")
    leftover = tmp_path / f".t.yaml.{os.getpid()}.tmp"  # as a crashed earlier write leaves it
    leftover.write_text("partial")
    data = b"new: value\n" * 200_000
    write_atomically(target, data)
    assert target.read_bytes() == data
    assert leftover.read_text() == "partial"
    assert sorted(p.name for p in tmp_path.iterdir()) == [leftover.name, "t.yaml"]
