"""`ww push` as a user runs it (a subprocess), and `/ipfs/` image layers fetched into the cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsipfs_daemon import JsIpfs
from test_known_cids import pattern

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.errors import ContentNotFound, PathNotFound
from wetnode.ipfs.kubo import KuboBackend
from wetnode.ipfs.layer import IpfsLayerSource

WW = [sys.executable, "-m", "wetnode"]


def image(root: Path) -> Path:
    (root / "boot").mkdir(parents=True)
    (root / "boot" / "main.wasm").write_bytes(b"\0asm\1\0\0\0" + pattern(300 * 1024))
    (root / "etc").mkdir()
    (root / "etc" / "motd").write_text("hello from ipfs\n")
    return root


def ww(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WW_HOME": str(home)}
    env.pop("WW_IPFS_API", None)
    return subprocess.run([*WW, *args], env=env, capture_output=True, text=True, timeout=120)


def test_push_prints_the_cid_the_daemon_computes(tmp_path: Path, jsipfs: JsIpfs) -> None:
    tree = image(tmp_path / "img")
    done = ww("push", str(tree), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert Cid.parse(done.stdout.strip()) == Cid.parse(jsipfs.add_tree(tree))
    assert (tmp_path / "home" / "ipfs" / "pins" / done.stdout.strip()).exists()


def test_push_to_the_daemon_then_the_daemon_serves_it(tmp_path: Path, jsipfs: JsIpfs) -> None:
    tree = image(tmp_path / "img")
    done = ww("push", str(tree), "--ipfs-api", jsipfs.api, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert jsipfs.cat(f"/ipfs/{done.stdout.strip()}/etc/motd") == b"hello from ipfs\n"


def test_push_refuses_a_tree_that_cannot_boot_unless_partial(tmp_path: Path) -> None:
    tree = tmp_path / "layer"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "motd").write_text("just a layer\n")
    done = ww("push", str(tree), home=tmp_path / "home")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "no boot/main.wasm" in done.stderr
    assert "Traceback" not in done.stderr
    done = ww("push", "--partial", str(tree), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    Cid.parse(done.stdout.strip())


def test_push_to_a_daemon_that_is_down_says_so(tmp_path: Path) -> None:
    done = ww(
        "push",
        "--ipfs-api",
        "http://127.0.0.1:9",
        str(image(tmp_path / "img")),
        home=tmp_path / "home",
    )
    assert done.returncode == 1
    assert "IPFS API at http://127.0.0.1:9 does not answer" in done.stderr
    assert "Traceback" not in done.stderr


async def test_a_layer_is_fetched_once_then_served_from_the_cache(
    tmp_path: Path, jsipfs: JsIpfs
) -> None:
    tree = image(tmp_path / "img")
    root = jsipfs.add_tree(tree)
    backend = KuboBackend(jsipfs.api, timeout=5)
    try:
        layer = await IpfsLayerSource(backend, tmp_path / "cache").fetch(f"/ipfs/{root}")
    finally:
        await backend.aclose()
    assert (layer / "etc" / "motd").read_text() == "hello from ipfs\n"
    assert (layer / "boot" / "main.wasm").read_bytes() == (tree / "boot" / "main.wasm").read_bytes()
    # The daemon is out of reach now: the cached tree still answers.
    offline = KuboBackend("http://127.0.0.1:9", timeout=1)
    try:
        again = await IpfsLayerSource(offline, tmp_path / "cache").fetch(f"/ipfs/{root}")
    finally:
        await offline.aclose()
    assert again == layer
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [str(Cid.parse(root))]


async def test_a_sub_path_layer_and_bad_layer_specs(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "ipfs")
    root = await backend.add_path(image(tmp_path / "img"))
    source = IpfsLayerSource(backend, tmp_path / "cache")
    etc = await source.fetch(f"/ipfs/{root}/etc")
    assert [p.name for p in etc.iterdir()] == ["motd"]
    with pytest.raises(PathNotFound, match="a layer must be a directory"):
        await source.fetch(f"/ipfs/{root}/etc/motd")
    with pytest.raises(ContentNotFound):
        await source.fetch("/ipfs/QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]


def test_push_of_a_tree_with_a_non_utf8_name_is_one_line_and_stores_nothing(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "img"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "motd").write_text("fine\n")  # imported first, were names not checked
    os.close(os.open(os.fsencode(tree / "etc") + b"/bad\xff.conf", os.O_CREAT | os.O_WRONLY))
    home = tmp_path / "home"
    done = ww("push", "--partial", str(tree), home=home)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad\\xff.conf" in lines[0] and "UTF-8" in lines[0], lines
    assert not [p for p in home.rglob("*") if p.is_file()]  # not one block written
