"""The SDK inside a real guest: an agent built by `ww build` talks to pycapnp in the host.

The agent runs on the shared runtime, whose compile every node of the
session shares (`ww_home`'s cache): a standalone build of its own would be a
componentize-py run and a 27 MB compile, a minute or more, for the same SDK.
"""

from __future__ import annotations

import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
import trio
from guest_peers import HERE, PycapnpPeer, pycapnp_servers

from wetnode.cell import Engine, Exit, GuestSpec, Stdio, open_cell
from wetnode.cli import main as ww

APP = textwrap.dedent(
    '''
    """Test guest: calls the host's Root, pipelines, serves an Echo back and as its bootstrap."""

    import interop_schema as S
    import wetnode.guest as ww


    class Shout(S.Echo.Server):
        async def echo(self, message):
            return message.upper()


    async def serve():
        root = await ww.connect(S.Root)
        print((await root.echo().echo.echo("pipelined from the guest")).response, flush=True)
        print((await root.callBack(Shout(), "served by the guest")).response, flush=True)
        blob = (await root.echo().echo.blob(bytes(range(256)) * 1024)).data
        print(len(blob), blob == bytes(range(256)) * 1024, flush=True)
        try:
            await root.echo().echo.fail(0, "expected failure")
        except ww.Failed as exc:
            print("failed:", "expected failure" in exc.reason, flush=True)
        print("serving", flush=True)
        await ww.serve_forever()  # the host bootstraps Shout, then closes the channel
        return 7


    def main():
        return ww.run(serve, bootstrap=Shout())
    '''
)


@pytest.fixture(scope="session")
def guest_image(tmp_path_factory: pytest.TempPathFactory, generator: types.ModuleType) -> Path:
    """The agent's image: boot/main.py, its schema module in lib/python, and boot/main.wasm."""
    project = tmp_path_factory.mktemp("sdk-guest")
    (project / "boot").mkdir()
    (project / "boot" / "main.py").write_text(APP)
    files = generator.generate({"interop": (HERE / "interop.capnp", [HERE])})
    (project / "lib" / "python").mkdir(parents=True)
    (project / "lib" / "python" / "interop_schema.py").write_text(files["interop.py"])
    assert ww(["build", str(project)]) == 0
    return project


@pytest.mark.slow
async def test_guest_calls_host_pycapnp_and_serves_a_capability_back(
    guest_image: Path, capnp_schema: Any, ww_home: Path
) -> None:
    servers = pycapnp_servers(capnp_schema)
    with Engine(ww_home / "cache") as engine:
        spec = GuestSpec(
            guest_image / "boot" / "main.wasm",
            name="sdk-guest",
            root=guest_image,
            stdio=Stdio(stdout="pipe", stderr="pipe"),
        )
        async with open_cell(engine, spec) as cell:
            peer = await trio.to_thread.run_sync(PycapnpPeer, cell.channel, servers["Root"])
            try:
                assert cell.stdout is not None
                chunks: list[bytes] = []
                with trio.fail_after(60):
                    while b"serving" not in b"".join(chunks):
                        chunk = await cell.stdout.receive_some()
                        assert chunk, b"".join(chunks)
                        chunks.append(chunk)

                    async def call_guest_bootstrap() -> str:
                        guest = peer.server.bootstrap().cast_as(capnp_schema.Echo)
                        return (await guest.echo("host bootstrapped the guest")).response

                    from_guest = await trio.to_thread.run_sync(peer.submit, call_guest_bootstrap)
            finally:
                # pycapnp owns the channel's fd and closes it when it stops: the
                # guest reads EOF, which ends its serve_forever.
                await trio.to_thread.run_sync(peer.close)
            with trio.fail_after(60):
                while chunk := await cell.stdout.receive_some():
                    chunks.append(chunk)
                exit = await cell.wait()
    output = b"".join(chunks).decode()
    assert exit == Exit(7), output
    assert output.splitlines() == [
        "PIPELINED FROM THE GUEST".lower(),
        "SERVED BY THE GUEST",
        "262144 True",
        "failed: True",
        "serving",
    ]
    assert from_guest == "HOST BOOTSTRAPPED THE GUEST"
