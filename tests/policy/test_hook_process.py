"""What a parent can do with a child it started: reach its export, start it bare or with
capabilities of its own, kill it.

Real guests: a Python pid0 built with `ww build` starts a Python child of
its own image (`bin/child`) in five ways, and prints what it saw.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.support.guests import WW, loopback_env, ww_build

pytestmark = pytest.mark.slow

PARENT = """
    import wetnode.guest as ww
    from wetnode.guest.schemas import system


    async def drain(stream):
        out = b""
        while data := (await stream.read(65536)).data:
            out += bytes(data)
        return out.decode().strip()


    def hook_of(ptr):
        return system.Hook.Client(ptr.msg.caps[ptr.cap_index()])


    async def main():
        membrane = await ww.connect()
        caps = await membrane.graft(membrane.signer().signer)
        binary = caps.executor.loadPath("/bin/child/boot/main.wasm").binary

        serving = (await binary.spawn(["serve"], [])).process
        hook = hook_of((await serving.bootstrap()).cap)
        verdict = (await hook.check({"method": "executor.echo"})).verdict
        print(f"export: action {verdict.action}, {verdict.rationale}")

        for how in ("spawn", "spawnBare"):
            child = (await getattr(binary, how)(["graft"], [])).process
            print(f"{how}: {await drain(child.stdout().stream)}")

        # The parent's own ipfs, passed as the child's `ipfs`: that and its identity only.
        passed = [{"name": "ipfs", "cap": caps.ipfs}]
        child = (await binary.spawnWith(["graft"], [], passed)).process
        print(f"spawnWith: {await drain(child.stdout().stream)}")
        try:
            await binary.spawnWith(["graft"], [], [{"name": "signer", "cap": caps.ipfs}])
        except ww.RpcError as exc:
            print(f"refused: {exc.reason}")

        quiet = (await binary.spawn(["quiet"], [])).process
        try:
            await hook_of((await quiet.bootstrap()).cap).check({})
        except ww.RpcError as exc:
            print(f"quiet: {exc.reason}")

        spinning = (await binary.spawn(["spin"], [])).process
        try:
            await spinning.hook(300).hook.check({})
        except ww.RpcError as exc:
            print(f"spin: {exc.reason}")
        print(f"spin exit: {(await spinning.wait()).exitCode}")
    """

CHILD = """
    import sys

    import wetnode.guest as ww
    from wetnode.guest.policy import hooks
    from wetnode.guest.schemas import system

    NAMES = ("identity", "host", "executor", "ipfs", "finder", "announcer", "approvals", "mcp")


    class No(system.Hook.Server):
        async def check(self, event):
            return hooks.block(f"the child says no to {event.method}")


    class Spin(system.Hook.Server):
        async def check(self, event):
            while True:
                pass


    async def main():
        what = sys.argv[1]
        if what in ("serve", "spin"):
            ww.export(No() if what == "serve" else Spin())
        elif what == "graft":
            membrane = await ww.connect()
            caps = await membrane.graft(membrane.signer().signer)
            print(" ".join(n for n in NAMES if getattr(caps, n) is not None))
            return
        await ww.serve_forever()
    """


def project(where: Path, source: str) -> Path:
    made = subprocess.run([*WW, "init", str(where)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    (where / "boot" / "main.py").write_text(textwrap.dedent(source))
    ww_build(where)
    return where


def test_a_parent_reaches_its_childs_export_starts_it_bare_or_with_caps_and_bounds_its_hook(
    tmp_path: Path, ww_home: Path
) -> None:
    parent = project(tmp_path / "parent", PARENT)
    project(parent / "bin" / "child", CHILD)  # a PATH tool is an agent image in bin/
    ran = subprocess.run(
        [*WW, "run", str(parent)], capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL, env=loopback_env(ww_home, PORT=0),
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == "export: action 1, the child says no to executor.echo"  # 1: block
    assert lines[1] == "spawn: identity executor ipfs"  # a child's usual grants
    assert lines[2] == "spawnBare: identity"  # a bare child's graft: its identity only
    assert lines.pop(3) == "spawnWith: identity ipfs"  # what the parent passed, no more
    assert lines.pop(3) == (
        "refused: spawnWith: caps[0] ('signer') is not a capability a child's graft returns "
        "(one of host, executor, ipfs, mcp, exports, finder, announcer, approvals)"
    )
    assert lines[3] == "quiet: this vat exports no bootstrap capability", lines
    assert lines[4] == (
        "spin: hookTimeout: the hook did not answer within its 300 ms budget; it was stopped"
    ), lines
    assert lines[5].startswith("spin exit: "), lines
    assert len(lines) == 6, lines
