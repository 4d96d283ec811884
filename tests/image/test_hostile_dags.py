"""`/ipfs/` layers built to hurt the node, read by a real `ww` process from its block store.

Each is refused with one line naming the layer and what is wrong, and the
data dir holds afterwards exactly the blocks it held before: no tree in the
export cache, no partial root, no stray staging directory.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.cli_outcome import Ww, files_under, one_line_error
from tests.support.dags import CHUNK, Dags
from wetnode.ipfs.cid import Cid

TIB = 1 << 40
NODE = ["run", "--port", "0", "--listen", "127.0.0.1"]  # a real node, not a dry run
NOBODY_HAS = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nm"  # a valid CID no store holds


def _dry_run(ww: Ww, home: Path, cid: Cid, *flags: str) -> str:
    """`ww run --dry-run` on the layer: its one-line error, once nothing new is left behind."""
    before = files_under(home)
    done = ww("run", "--dry-run", *flags, f"/ipfs/{cid}")
    line = one_line_error(done)
    assert files_under(home) == before
    return line


def test_a_file_claiming_a_terabyte_is_refused_before_a_byte_is_written(
    ww: Ww, home: Path, dags: Dags
) -> None:
    huge = dags.claiming_file(TIB, leaves=16)
    boot = dags.file(b"\0asm\1\0\0\0")
    root = dags.directory([("big.bin", huge), ("boot", dags.directory([("main.wasm", boot)]))])
    line = _dry_run(ww, home, root)
    assert f"layer /ipfs/{root}: more than 1,073,741,824 bytes" in line, line
    assert "--layer-max-bytes" in line


def test_a_running_node_refuses_the_layer_and_leaves_its_data_dir_as_it_was(
    ww: Ww, home: Path, dags: Dags
) -> None:
    root = dags.directory([("big.bin", dags.claiming_file(TIB, leaves=16))])
    before = files_under(home)
    line = one_line_error(ww(*NODE, f"/ipfs/{root}"))
    assert line.endswith(
        f"layer /ipfs/{root}: more than 1,073,741,824 bytes of files, "
        "over the layer limit (--layer-max-bytes)"
    )
    assert files_under(home) == before
    assert not list((home / "run").iterdir())  # no partial root either


def test_a_layer_not_fetched_within_the_layer_timeout_is_given_up(ww: Ww) -> None:
    """The whole layer has a deadline, however patient each block wait is."""
    started = time.monotonic()
    done = ww(*NODE, "--layer-timeout", "1", "--ipfs-timeout", "90", f"/ipfs/{NOBODY_HAS}")
    assert one_line_error(done).endswith(
        f"layer /ipfs/{NOBODY_HAS}: not read within 1 s, over the layer limit (--layer-timeout)"
    )
    assert time.monotonic() - started < 60  # the block wait alone would take 90 s


def test_a_file_claiming_little_is_stopped_by_what_it_really_holds(
    ww: Ww, home: Path, dags: Dags
) -> None:
    """Stated sizes are not trusted: 2 MiB of content counts as 2 MiB, whatever it claims."""
    liar = dags.claiming_file(10, leaves=8)  # says 10 bytes, holds 8 x 256 KiB
    root = dags.directory([("small.txt", liar)])
    line = _dry_run(ww, home, root, "--layer-max-bytes", "1M")
    assert f"layer /ipfs/{root}: more than 1,048,576 bytes" in line
    assert 8 * CHUNK > 1 << 20


def test_a_dag_claiming_ten_thousand_files_stops_at_the_file_limit(
    ww: Ww, home: Path, dags: Dags
) -> None:
    empty = dags.file(b"")
    inner = dags.directory([(f"f{i:03d}", empty) for i in range(100)])
    root = dags.directory([(f"d{i:03d}", inner) for i in range(100)])  # 10,100 entries
    line = _dry_run(ww, home, root, "--layer-max-files", "1000")
    assert line.endswith(
        f"layer /ipfs/{root}: more than 1,000 entries, over the layer limit (--layer-max-files)"
    )


def test_directories_nested_past_the_depth_limit_are_refused(
    ww: Ww, home: Path, dags: Dags
) -> None:
    cid = dags.file(b"deep")
    for _ in range(70):  # the default limit is 64
        cid = dags.directory([("d", cid)])
    line = _dry_run(ww, home, cid)
    assert "directories nested more than 64 deep" in line and "--layer-max-depth" in line


def test_a_block_over_the_block_limit_is_refused(ww: Ww, home: Path, dags: Dags) -> None:
    root = dags.directory([("blob", dags.raw_block_file(3 * 1024 * 1024))])
    line = _dry_run(ww, home, root)
    assert "a block of 3,145,7" in line and "--layer-max-block" in line


def test_two_entries_of_one_name_are_one_line(ww: Ww, home: Path, dags: Dags) -> None:
    a, b = dags.file(b"first"), dags.file(b"second")
    root = dags.directory([("twin", a), ("twin", b)])
    assert "has two entries named 'twin'" in _dry_run(ww, home, root)


def test_a_300_byte_entry_name_is_one_line(ww: Ww, home: Path, dags: Dags) -> None:
    root = dags.directory([("n" * 300, dags.file(b"long"))])
    assert "an entry name of 300 bytes (at most 255)" in _dry_run(ww, home, root)


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param([("d/up", ".."), ("out", "d/up/../outside")], id="through-a-dir-symlink"),
        pytest.param([("a", "b/.."), ("b", "."), ("x", "a/../x2")], id="symlinks-to-dot"),
    ],
)
def test_symlinks_that_lead_out_through_other_symlinks_never_reach_the_cache(
    ww: Ww, home: Path, dags: Dags, chain: list[tuple[str, str]]
) -> None:
    """Each target looks inside on its own; followed on disk, the chain leaves the tree."""
    top: list[tuple[str, Cid]] = []
    sub: list[tuple[str, Cid]] = []
    for name, target in chain:
        link = dags.symlink(target)
        if name.startswith("d/"):
            sub.append((name[2:], link))
        else:
            top.append((name, link))
    if sub:
        top.append(("d", dags.directory(sub)))
    line = _dry_run(ww, home, dags.directory(sorted(top)))
    assert "leads outside the tree through other symlinks" in line, line
