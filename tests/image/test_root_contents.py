"""The root a guest gets holds only regular files and directories the union chose.

No other name for the hidden `etc/identity` (a symlink, a hardlink, an `etc`
that is a symlink), no host inode shared with a user's layer, no file swapped
after the scan, and a layer that changes under the scan is one line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import trio

from tests.support.cli_outcome import Ww, one_line_error
from wetnode import image
from wetnode.errors import ImageError
from wetnode.image import Layer, Mount
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.layer import IpfsLayerSource

KEY = "0x" + "11" * 32


def _layer(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return root


@pytest.fixture
def keyed(tmp_path: Path) -> Path:
    """A layer that boots and carries a node key."""
    return _layer(tmp_path / "img", {"boot/main.wasm": "wasm", "etc/identity": KEY})


def test_a_symlink_to_the_identity_is_refused(ww: Ww, keyed: Path) -> None:
    (keyed / "share").mkdir()
    (keyed / "share" / "key").symlink_to("../etc/identity")
    line = one_line_error(ww("run", "--dry-run", str(keyed)))
    assert f"layer {keyed}: /share/key is another name for /etc/identity" in line


def test_a_hardlink_to_the_identity_is_refused(ww: Ww, keyed: Path) -> None:
    os.link(keyed / "etc" / "identity", keyed / "boot" / "key.txt")
    line = one_line_error(ww("run", "--dry-run", str(keyed)))
    assert "/boot/key.txt is another name for /etc/identity" in line


def test_an_etc_that_is_a_symlink_cannot_expose_the_identity(ww: Ww, tmp_path: Path) -> None:
    layer = _layer(tmp_path / "img", {"boot/main.wasm": "wasm", "conf/identity": KEY})
    (layer / "etc").symlink_to("conf")
    line = one_line_error(ww("run", "--dry-run", str(layer)))
    assert "/conf/identity is another name for /etc/identity" in line


def test_an_alias_of_an_identity_a_later_layer_overrides_is_refused(
    keyed: Path, tmp_path: Path
) -> None:
    """The key the node reads may be any layer's: every layer's identity stays hidden."""
    top = _layer(tmp_path / "top", {"etc/identity": "0x" + "22" * 32})
    os.link(keyed / "etc" / "identity", top / "leak")
    with pytest.raises(ImageError, match="identity has another name outside its layer"):
        image.merge(image.resolve_mounts([str(keyed), str(top)]))


def test_a_hardlink_to_a_file_outside_its_layer_is_refused(
    ww: Ww, keyed: Path, tmp_path: Path
) -> None:
    host_file = tmp_path / "host-notes.txt"
    host_file.write_text("the operator's own file")
    os.link(host_file, keyed / "notes.txt")
    line = one_line_error(ww("run", "--dry-run", str(keyed)))
    assert f"{keyed}/notes.txt has another name outside its layer {keyed} (a hardlink)" in line


def test_files_of_a_local_layer_are_copied_not_linked(keyed: Path, tmp_path: Path) -> None:
    """Hardlinks and symlinks inside the layer are fine; the root shares no inode with them."""
    os.link(keyed / "boot" / "main.wasm", keyed / "twin.wasm")
    (keyed / "alias").symlink_to("twin.wasm")
    root = image.materialize(image.merge(image.resolve_mounts([str(keyed)])).files, tmp_path / "r")
    layer_inode = os.stat(keyed / "twin.wasm").st_ino
    for name in ("boot/main.wasm", "twin.wasm", "alias"):
        info = os.lstat(root / name)
        assert stat.S_ISREG(info.st_mode) and info.st_nlink == 1, name
        assert info.st_ino != layer_inode
        assert (root / name).read_text() == "wasm"
    assert os.stat(keyed / "twin.wasm").st_nlink == 2  # the layer's two names, none in the root
    assert not (root / "etc" / "identity").exists()


async def test_files_the_node_fetched_into_its_cache_are_hard_linked(tmp_path: Path) -> None:
    """The fast path: the node's own export cache is the one source it links from."""
    backend = EmbeddedBackend(tmp_path / "ipfs")
    cid = await backend.add_path(_layer(tmp_path / "img", {"boot/main.wasm": "wasm"}))
    spec = f"/ipfs/{cid}"
    cached = await IpfsLayerSource(backend, tmp_path / "trees").fetch(spec)
    merged = image.merge([Layer(Mount(spec, ""), cached)])
    root = await trio.to_thread.run_sync(image.materialize, merged.files, tmp_path / "root")
    assert os.stat(root / "boot" / "main.wasm").st_ino == os.stat(cached / "boot/main.wasm").st_ino


@pytest.mark.parametrize("swap", ["symlink-out", "hardlink-to-identity"])
def test_a_file_swapped_after_the_scan_is_refused_and_no_root_is_left(
    keyed: Path, tmp_path: Path, swap: str
) -> None:
    host_secret = tmp_path / "host-secret"
    host_secret.write_text("not for guests")
    merged = image.merge(image.resolve_mounts([str(keyed)]))
    wasm = keyed / "boot" / "main.wasm"
    wasm.unlink()
    if swap == "symlink-out":
        wasm.symlink_to(host_secret)
    else:  # after the merge checked for aliases
        os.link(keyed / "etc" / "identity", wasm)
    with pytest.raises(ImageError, match=r"/boot/main\.wasm changed after its layer was read"):
        image.materialize(merged.files, tmp_path / "root")
    assert not (tmp_path / "root").exists()


def test_a_layer_that_changes_while_it_is_scanned_is_one_error(
    keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file listed, then removed before it is looked at (what a concurrent `rm` does)."""
    real_scandir = os.scandir
    victim = keyed / "boot" / "main.wasm"

    def listing_then_removal(path: os.PathLike[str] | str) -> list[os.DirEntry[str]]:
        entries = list(real_scandir(path))
        if victim.exists() and Path(path) == victim.parent:
            victim.unlink()
        return entries

    monkeypatch.setattr(os, "scandir", listing_then_removal)
    with pytest.raises(ImageError, match="changed while it was read") as info:
        image.merge(image.resolve_mounts([str(keyed)]))
    assert "main.wasm is gone" in str(info.value)


def test_a_local_layer_over_its_limits_is_one_line(ww: Ww, keyed: Path) -> None:
    line = one_line_error(ww("run", "--dry-run", "--layer-max-files", "3", str(keyed)))
    assert line.endswith(
        f"layer {keyed}: more than 3 entries, over the layer limit (--layer-max-files)"
    )
    deep = keyed / "/".join("d" * 70)
    deep.mkdir(parents=True)
    line = one_line_error(ww("run", "--dry-run", str(keyed)))
    assert "directories nested more than 64 deep" in line


@pytest.mark.parametrize("command", [["run", "--dry-run"], ["image", "ls"]])
def test_names_with_terminal_escapes_print_escaped(ww: Ww, keyed: Path, command: list[str]) -> None:
    (keyed / "etc" / "\x1b[2J\x1b[31mred").write_text("clears the screen")
    (keyed / "etc" / "rtl\u202etxt.exe").write_text("reads backwards")
    done = ww(*command, str(keyed))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "\\x1b[2J\\x1b[31mred  <- " in done.stdout
    assert "rtl\\u202etxt.exe  <- " in done.stdout
