"""A newcomer's first hour with the real `ww` (issue 15): each mistake is one line, no traceback."""

from __future__ import annotations

import base64
import socket
import stat

from tests.support.cli_outcome import one_line_error


def test_port_in_use_is_one_line_naming_the_port_and_port_0(ww, make_tree):
    base = make_tree("base", {"boot/main.wasm": "x"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = ww("run", "--listen", "127.0.0.1", "--port", str(port), str(base))
    line = one_line_error(done)
    assert f"127.0.0.1:{port}" in line and "--port 0" in line, line


def test_keygen_output_creates_missing_directories_owner_only(ww, tmp_path):
    home = tmp_path / "fresh-home"
    home.mkdir()
    done = ww("keygen", "--output", "~/.ww/key", env={"HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((home / ".ww").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / ".ww" / "key").stat().st_mode) == 0o600


def test_push_refuses_an_image_holding_its_identity_and_publishes_nothing(ww, make_tree, tmp_path):
    data = tmp_path / "ww-home"
    tree = make_tree("img", {"boot/main.wasm": "x", "etc/identity": "secret\n"})
    done = ww("push", str(tree), env={"WW_HOME": str(data), "WW_IPFS_API": ""})
    line = one_line_error(done)
    assert "etc/identity" in line and "nothing was published" in line, line
    assert not data.exists() or not [p for p in data.rglob("*") if p.is_file()]


def test_global_flags_work_after_a_nested_action(ww, make_tree):
    base = make_tree("base", {"boot/main.wasm": "x"})
    listed = ww("image", "ls", str(base), "--debug")
    assert listed.returncode == 0 and "main.wasm" in listed.stdout, listed.stderr
    missing = ww("image", "ls", str(base / "missing"), "--debug")
    assert missing.returncode == 1 and "Traceback" in missing.stderr  # --debug took effect
    done = ww("stem", "deploy", "--log-level", "nope")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [
        "ww stem: log level 'nope' is not one of debug, info, warning, error"
    ]


def _invalid_component(make_tree):
    """A layer whose pid0 has a WebAssembly header but does not compile."""
    base = make_tree("base", {})
    (base / "boot").mkdir()
    (base / "boot" / "main.wasm").write_bytes(b"\0asm\x0d\x00\x01\x00not a component")
    return base


def test_progress_is_a_plain_line_not_a_warning(ww, make_tree, tmp_path):
    base = _invalid_component(make_tree)
    env = {"WW_HOME": str(tmp_path / "ww-home")}
    done = ww("run", "--port", "0", "--listen", "127.0.0.1", str(base), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == [
        "compiling guest pid0 (one-time, cached)…",
        "ww run: pid0 is not a valid WebAssembly component: failed to parse WebAssembly module",
    ]


DEAD_PEER = "/ip4/127.0.0.1/tcp/1/p2p/16Uiu2HAmGxz8G5gdDvNkVUdvmkvaoLpdvYoeFpD4Kp7bbiZSQ2dm"


def _loggers(stderr: str) -> set[str]:
    """The logger names of the log lines (`date time LEVEL name: message`)."""
    return {line.split()[3].rstrip(":") for line in stderr.splitlines() if line[:2] == "20"}


def test_debug_logs_are_ours_unless_ww_log_all(ww):
    done = ww("dial", DEAD_PEER, "executor.echo", "hi", "--log-level", "debug")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    ours = _loggers(done.stderr)
    assert ours and all(name.startswith("wetnode") for name in ours), ours
    everything = ww(
        "dial", DEAD_PEER, "executor.echo", "hi", "--log-level", "debug", env={"WW_LOG_ALL": "1"}
    )
    assert any(name.startswith("multiaddr") for name in _loggers(everything.stderr))


def test_run_with_a_libp2p_ed25519_identity_says_what_it_is(ww, make_tree, tmp_path):
    from libp2p.crypto.ed25519 import create_new_key_pair

    base = make_tree("base", {"boot/main.wasm": "x"})
    encoded = create_new_key_pair().private_key.serialize()  # libp2p protobuf PrivateKey
    for name, content in [("raw", encoded), ("base64", base64.b64encode(encoded))]:
        key = tmp_path / f"ed25519.{name}"
        key.write_bytes(content)
        line = one_line_error(ww("run", "--identity", str(key), str(base)))
        assert f"key file {key} holds a libp2p Ed25519 private key" in line, line
        assert "ww keygen --output" in line, line


def test_listen_takes_a_multiaddr_and_port_wins_over_its_port(ww, make_tree, tmp_path):
    base = _invalid_component(make_tree)
    env = {"WW_HOME": str(tmp_path / "ww-home")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listen = f"/ip4/127.0.0.1/tcp/{port}"
        refused = ww("run", "--listen", listen, str(base), env=env)
        started = ww("run", "--listen", listen, "--port", "0", str(base), env=env)
    assert f"cannot listen on 127.0.0.1:{port}" in one_line_error(refused)
    assert started.returncode == 1 and "Traceback" not in started.stderr, started.stderr
    assert started.stderr.splitlines()[-1].startswith("ww run: pid0 is not a valid WebAssembly")


def test_run_with_stem_does_not_log_each_chain_request(ww, chain, tmp_path):
    atom = ww("stem", "deploy", "--rpc-url", chain.url, "--key", chain.private_keys[0])
    assert atom.returncode == 0, atom.stderr
    done = ww("--log-level", "info", "run", "--stem", atom.stdout.strip(),
              "--rpc-url", chain.url, "--ws-url", chain.ws_url, "--ipfs-timeout", "1",
              "--port", "0", "--listen", "127.0.0.1",
              env={"WW_HOME": str(tmp_path / "ww-home")})  # fmt: skip
    # The head is the empty directory and no layer adds pid0: the run fails once it asked
    # the chain.
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    loggers = _loggers(done.stderr)
    assert "wetnode.stem.epochs" in loggers and "httpx" not in loggers, done.stderr
