"""`ww doctor` through the real CLI: what it finds, what it says to fix, its exit code."""

from __future__ import annotations

import socket


def test_doctor_on_a_healthy_machine_is_all_ok_exit_0(ww, tmp_path):
    done = ww("doctor", "--port", "0", env={"WW_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    names = [line.split(":")[0].split(None, 1)[1] for line in lines]
    assert names == ["python", "ww build toolchain", "data dir", "compile cache", "listen port"]
    assert all(line.startswith("ok ") for line in lines), lines
    assert (tmp_path / "home" / "cache").is_dir()


def test_doctor_says_what_to_fix_and_exits_1(ww, tmp_path):
    with socket.socket() as taken, socket.socket() as dead:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port, dead_port = taken.getsockname()[1], dead.getsockname()[1]
        done = ww(
            "doctor", "--listen", "127.0.0.1", "--port", str(port),
            "--rpc-url", f"http://127.0.0.1:{dead_port}",
            "--ipfs-api", f"http://127.0.0.1:{dead_port}",
            env={"WW_HOME": str(tmp_path / "home")},
        )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    fixes = [line for line in done.stdout.splitlines() if line.startswith("fix")]
    assert len(fixes) == 3, done.stdout
    assert f"127.0.0.1:{port}" in fixes[0] and "--port 0" in fixes[0]
    assert fixes[1].startswith("fix  chain RPC:") and "--rpc-url" in fixes[1]
    assert fixes[2].startswith("fix  IPFS API:") and "--ipfs-api" in fixes[2]


def test_doctor_reaches_a_real_chain(ww, chain, tmp_path):
    done = ww("doctor", "--port", "0", "--rpc-url", chain.url,
              env={"WW_HOME": str(tmp_path / "home")})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok   chain RPC: {chain.url}: chain id 31337" in done.stdout.splitlines()
