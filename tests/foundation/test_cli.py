"""Exit codes and one-line errors of the real `ww` command."""

from __future__ import annotations


def test_image_ls_prints_the_merged_tree(ww, make_tree):
    base = make_tree("base", {"boot/main.wasm": "x"})
    result = ww("image", "ls", str(base))
    assert result.returncode == 0, result.stderr
    assert f"main.wasm  <- {base}" in result.stdout


def test_run_dry_run_prints_the_tree_without_booting(ww, make_tree):
    base = make_tree("base", {"boot/main.wasm": "x", "etc/a": "1"})
    result = ww("run", "--dry-run", str(base))
    assert result.returncode == 0, result.stderr
    assert "boot/" in result.stdout and f"a  <- {base}" in result.stdout


def test_missing_layer_is_one_line_exit_1(ww, tmp_path):
    result = ww("image", "ls", str(tmp_path / "missing"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_run_without_boot_is_one_line_exit_1(ww, make_tree):
    layer = make_tree("conf", {"etc/x": "1"})
    result = ww("run", str(layer))
    assert result.returncode == 1 and "boot/main.wasm" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(ww):
    assert ww("--log-level", "nope", "keygen").returncode == 2
    assert ww("no-such-command").returncode == 2
    assert ww("run", "--port", "99999", "x").returncode == 2
    assert ww().returncode == 2


def test_debug_shows_the_traceback(ww, tmp_path):
    result = ww("--debug", "image", "ls", str(tmp_path / "missing"))
    assert result.returncode == 1 and "Traceback" in result.stderr


PEER = "/ip4/127.0.0.1/tcp/9/p2p/16Uiu2HAmJxSzNtKH7xD8sWCoUDRrYEMzsV8mgvchJQdMGYey2Kqj"


def test_dial_shell_bad_input_is_one_line_before_anything_starts(ww, make_tree, tmp_path):
    both = ww("dial", PEER, "executor.echo", "--shell")
    assert both.returncode == 2 and "either --shell or METHOD" in both.stderr
    stray = ww("dial", PEER, "--layer", "x")
    assert stray.returncode == 2 and "--layer goes with --shell" in stray.stderr
    no_kernel = ww("dial", PEER, "--shell", "--layer", str(make_tree("conf", {"etc/x": "1"})))
    assert no_kernel.returncode == 1 and "boot/main.wasm" in no_kernel.stderr
    bad_peer = ww("dial", "/ip4/127.0.0.1/tcp/9", "--shell")
    assert bad_peer.returncode == 2 and "names no peer" in bad_peer.stderr
    elsewhere = ww("dial", PEER, "--shell", cwd=tmp_path)  # no images/kernel here
    assert elsewhere.returncode == 1 and "pass --layer DIR" in elsewhere.stderr
    for result in (both, stray, no_kernel, bad_peer, elsewhere):
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
