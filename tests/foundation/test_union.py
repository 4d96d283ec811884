"""The per-file union (pure) and the layer rules around it (real directories)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wetnode import image
from wetnode.errors import ConfigError, ImageError
from wetnode.image.union import Listing, union


def _files(merged):
    return {p: e.layer for p, e in merged.items() if e.kind == "file"}


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        pytest.param(
            [("", ["boot/main.wasm", "etc/a"]), ("", ["etc/a"])],
            {"boot/main.wasm": 0, "etc/a": 1},
            id="later-layer-overrides-a-file",
        ),
        pytest.param(
            [("", ["boot/QmPeerA"]), ("", ["boot/QmPeerB"])],
            {"boot/QmPeerA": 0, "boot/QmPeerB": 1},
            id="directories-merge",
        ),
        pytest.param(
            [("etc/app", ["conf"]), ("", ["etc/app/conf", "etc/x"])],
            {"etc/app/conf": 0, "etc/x": 1},
            id="targeted-mounts-apply-after-every-root-layer",
        ),
        pytest.param(
            [("", ["lib/x/y"]), ("", ["lib/x"])],
            {"lib/x": 1},
            id="a-later-file-replaces-an-earlier-directory-whole",
        ),
        pytest.param(
            [("", ["a"]), ("", [])],
            {"a": 0},
            id="no-deletes",
        ),
    ],
)
def test_union_rules(layers, expected):
    listings = [
        Listing(target, [(rel, "file", Path("/host") / str(i) / rel) for rel in rels])
        for i, (target, rels) in enumerate(layers)
    ]
    merged = union(listings)
    assert _files(merged) == expected
    for path in merged:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            assert merged["/".join(parts[:depth])].kind == "dir", path


def test_merged_image_from_directories_shows_origins(make_tree):
    base = make_tree("base", {"boot/main.wasm": "v1", "etc/motd": "base"})
    top = make_tree("top", {"etc/motd": "top"})
    merged = image.merge(image.resolve_mounts([str(base), str(top), f"{top}:/opt/top"]))
    assert merged.host_paths["etc/motd"].read_text() == "top"
    assert merged.host_paths["opt/top/etc/motd"].read_text() == "top"
    tree = image.render_tree(merged)
    assert f"main.wasm  <- {base}" in tree
    assert f"motd  <- {top}\n" in tree


def test_materialised_root_hides_the_image_identity(make_tree, tmp_path: Path):
    layer = make_tree("img", {"boot/main.wasm": "x", "etc/identity": "secret", "etc/ok": "y"})
    merged = image.merge(image.resolve_mounts([str(layer)]))
    root = image.materialize(merged.files, tmp_path / "root")
    assert (root / "etc" / "ok").read_text() == "y"
    assert not (root / "etc" / "identity").exists()
    assert "identity" in merged.host_paths["etc/identity"].name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("./x:etc", "must be an absolute guest path"),
        ("./x:/etc/../..", "'..' is not allowed"),
        (":/etc", "has no source"),
    ],
)
def test_bad_mount_specs_are_usage_errors(spec, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        image.parse_mount(spec)


def test_missing_layer_is_named(tmp_path: Path):
    with pytest.raises(ImageError, match="does not exist"):
        image.resolve_mounts([str(tmp_path / "nope")])


def test_union_without_boot_lists_the_layers(make_tree):
    a = make_tree("a", {"etc/x": "1"})
    b = make_tree("b", {"bin/y": "2"})
    with pytest.raises(ImageError) as info:
        image.merge(image.resolve_mounts([str(a), str(b)]))
    assert "boot/main.wasm" in str(info.value)
    assert str(a) in str(info.value) and str(b) in str(info.value)


def test_symlink_leaving_its_layer_is_refused(make_tree, tmp_path: Path):
    secret = tmp_path / "host-secret"
    secret.write_text("s")
    layer = make_tree("img", {"boot/main.wasm": "x"})
    (layer / "etc").mkdir()
    (layer / "etc" / "leak").symlink_to(secret)
    with pytest.raises(ImageError, match="outside its layer"):
        image.merge(image.resolve_mounts([str(layer)]))


def test_symlink_inside_its_layer_is_followed(make_tree):
    layer = make_tree("img", {"boot/main.wasm": "x", "share/real": "data"})
    (layer / "bin").mkdir()
    (layer / "bin" / "alias").symlink_to(layer / "share" / "real")
    merged = image.merge(image.resolve_mounts([str(layer)]))
    assert merged.host_paths["bin/alias"].read_text() == "data"


def test_special_files_are_refused(make_tree):
    layer = make_tree("img", {"boot/main.wasm": "x"})
    os.mkfifo(layer / "pipe")
    with pytest.raises(ImageError, match="special file"):
        image.merge(image.resolve_mounts([str(layer)]))
