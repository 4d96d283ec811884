"""The default kernel as pid0, through the real `ww run` in subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from node_process import (
    WW,
    LiveSigner,
    ServingNode,
    Terminal,
    ready_line,
    serving_node,
    start_node,
    wait_for_stderr,
)

from tests.support.guests import loopback_env
from wetnode.client import dial
from wetnode.keys import NodeKey
from wetnode.rpc import schema

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tools_node(kernel_image, tools_layer, ww_home) -> Iterator[ServingNode]:
    """One node of the kernel and the tools layer (which exports executor.echo alone) for
    the tests that only dial it: each grafts with a key of its own."""
    with serving_node([str(kernel_image), str(tools_layer)], loopback_env(ww_home)) as node:
        yield node


def test_a_detached_daemon_stays_up_until_sigterm_and_its_ready_address_answers_dial(
    kernel_image, node_env, tmp_path
):
    """`nohup ww run --port 0 images/kernel </dev/null &`: stdin at EOF, its own session."""
    key = NodeKey.generate()
    key.save(tmp_path / "key")
    argv = [*WW, "run", "--port", "0", "--identity", str(tmp_path / "key"), str(kernel_image)]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=node_env,
        text=True,
        start_new_session=True,
    )
    try:
        ready = ready_line(proc)
        assert (ready["event"], ready["peer_id"]) == ("ready", str(key.peer_id))
        assert ready["addrs"], ready
        assert all(a.endswith(f"/p2p/{key.peer_id}") for a in ready["addrs"]), ready
        # The bundled kernel's own etc/membrane.allow exports executor.echo.
        echo = subprocess.run(
            [*WW, "dial", ready["addrs"][0], "executor.echo", "hi"],
            env=node_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert (echo.returncode, echo.stdout) == (0, "hi\n"), echo.stderr
        assert proc.poll() is None, "the daemon ended although nobody stopped it"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_sigterm_stops_the_node_cleanly_with_exit_0(kernel_image, node_env):
    proc = start_node(["--port", "0", str(kernel_image)], node_env)
    try:
        ready_line(proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def test_interactive_shell_through_a_pseudo_terminal(kernel_image, tools_layer, node_env, tmp_path):
    key = NodeKey.generate()
    key.save(tmp_path / "key")
    argv = [
        *WW,
        "run",
        "--port",
        "0",
        "--identity",
        str(tmp_path / "key"),
        str(kernel_image),
        str(tools_layer),
    ]
    with Terminal(argv, node_env) as term:
        term.expect("\u276f ")
        assert f'"{key.peer_id}"' in term.send("(host id)")
        assert '\n"hi"\r\n' in term.send('(executor echo "hi")')
        assert "a b c" in term.send('(echo-args "a" "b c")')
        failing = term.send('(echo-args --exit 3 "x")')
        assert "x" in failing and "echo-args: exited with code 3" in failing
        assert "nope: command not found" in term.send("(nope)")
        assert "error: unexpected )" in term.send("(host id))")
        assert "/tcp/" in term.send("(host addrs)")
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0


async def test_exported_membrane_serves_only_allowed_methods_to_a_remote_peer(
    tools_node: ServingNode, node_env
):
    address, proc = tools_node.address, tools_node.proc

    async def call(caps: Any) -> tuple[str, str]:
        echoed = (await caps.executor.echo("over the network")).response
        try:
            await caps.host.id()
            refused = "host.id was allowed"
        except Exception as exc:  # the attenuation's refusal, as a remote exception
            refused = str(exc)
        return echoed, refused

    async def impostor(membrane: Any) -> str:
        try:
            await membrane.graft(LiveSigner())  # live, but not this peer's key
        except Exception as exc:
            return str(exc)
        return "grafted"

    client = NodeKey.generate()
    with trio.fail_after(120):
        async with dial(address, graft=True, secret=client.secret) as remote:
            echoed, refused = await remote.run(call)
        grafted = f"kernel: peer {client.peer_id} grafted onto the export"
        await trio.to_thread.run_sync(wait_for_stderr, proc, grafted)
        async with dial(address, interface=schema.stem().Membrane) as remote:
            impostor_refused = await remote.run(impostor)
    assert echoed == "over the network"
    assert "notAllowed: host.id is not exported by this node" in refused
    assert "graftRefused: the signer does not hold the key of peer" in impostor_refused

    def ww_dial(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*WW, "dial", address, *argv], env=node_env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip

    echo, host_id = await trio.to_thread.run_sync(
        lambda: (ww_dial("executor.echo", "from the CLI"), ww_dial("host.id"))
    )
    assert (echo.returncode, echo.stdout) == (0, "from the CLI\n"), echo.stderr
    assert host_id.returncode == 1
    assert "host.id failed on" in host_id.stderr
    assert "notAllowed: host.id is not exported by this node" in host_id.stderr
    assert "Traceback" not in host_id.stderr


def test_one_nodes_pid0_dials_anothers_export_and_meets_its_allow_list(
    kernel_image, tools_node: ServingNode, node_env
):
    with Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env) as term:
        address = tools_node.address
        term.expect("\u276f ")
        echoed = term.send(f'(dial "{address}" echo "across nodes")')
        assert '\n"across nodes"\r\n' in echoed, echoed
        refused = term.send(f'(dial "{address}" id)')
        assert "notAllowed: host.id is not exported by this node" in refused
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0


REMOTE_SHELL_ALLOW = """\
host.id
executor.echo
executor.load
binary.spawn
process.stdout
process.stderr
process.wait
bytestream.read
"""


def test_ww_dial_shell_runs_the_kernel_shell_here_on_a_remote_export(
    kernel_image, tools_layer, node_env, tmp_path
):
    allow = tmp_path / "allow"
    (allow / "etc").mkdir(parents=True)
    (allow / "etc" / "membrane.allow").write_text(REMOTE_SHELL_ALLOW)
    layers = ["--layer", str(kernel_image), "--layer", str(tools_layer)]
    with serving_node([str(kernel_image), str(allow)], node_env) as server:
        shell = [*WW, "dial", server.address, "--shell", *layers]
        with Terminal(shell, node_env) as term:
            peer = server.peer_id
            term.expect(f"{peer[:6]}\u2026{peer[-6:]} / \u276f ")  # the prompt names the node
            assert f'"{peer}"' in term.send("(host id)")  # the remote's identity
            assert '"hi"' in term.send('(executor echo "hi")')
            # The tool is in the dialer's layers only; the remote runs it (executor.load).
            assert "from the dialer\r\n" in term.send("(echo-args from the dialer)")
            refused = term.send("(host peers)")
            assert "error: failed: notAllowed: host.peers is not exported by this node" in refused
            os.write(term.fd, b"(exit)\n")
            assert term.wait() == 0
        with Terminal(shell, node_env) as term:
            term.expect("\u276f ")
            server.proc.kill()  # every capability the shell holds goes with the node
            ended = term.expect("the shell has ended")
            assert f"{server.peer_id} disconnected" in ended
            assert term.wait() == 1


def test_a_bad_allow_list_line_is_one_kernel_line_and_a_non_zero_exit(
    kernel_image, node_env, tmp_path
):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "membrane.allow").write_text("executor.echo\nhost.nope\n")
    result = subprocess.run(
        [*WW, "run", "--port", "0", str(kernel_image), str(tmp_path)],
        stdin=subprocess.DEVNULL, env=node_env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "kernel: etc/membrane.allow line 2: 'host.nope' is not interface.method" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr, result.stderr
