"""pid0's policy on what it hands its children: `[service.NAME]` and `[path]` sections.

One image, one real `ww run` on a terminal: two `svc/` services and a PATH
tool, all Python guests built with `ww build` from one source, each of which
grafts, makes the same calls and prints what came back.  `limited` and the
PATH tool may call `executor.echo` only; `metered` has a rate and a params
byte budget on it.  Without these sections (today) each child holds the
host's child grants and every call succeeds.  A section for a service the
image lacks stops the boot with one line.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.node_process import WW, Terminal, failed_boot_lines
from tests.support.guests import agent

pytestmark = pytest.mark.slow

PROMPT = "\u276f "

# Grafts, then: an echo, a load (which a child's own executor allows), a 200-byte echo,
# two more echoes; prints one JSON line of the outcomes on stderr.
PROBE = """
    import json
    import sys

    import wetnode.guest as ww

    NAMES = ("identity", "host", "executor", "ipfs", "finder", "announcer", "approvals", "mcp")


    async def outcome(call):
        try:
            return await call
        except ww.RpcError as exc:
            return exc.reason


    async def echo(executor, text):
        return (await executor.echo(text)).response


    async def load(executor):
        await executor.load(b"not a component")
        return "loaded"


    async def main():
        membrane = await ww.connect()
        caps = await membrane.graft(membrane.signer().signer)
        executor = caps.executor
        seen = {
            "held": [n for n in NAMES if getattr(caps, n) is not None],
            "echo": await outcome(echo(executor, "hi")),
            "load": await outcome(load(executor)),
            "big": await outcome(echo(executor, "x" * 200)),
            "again": await outcome(echo(executor, "again")),
            "third": await outcome(echo(executor, "third")),
        }
        print("probe " + json.dumps(seen, sort_keys=True), file=sys.stderr, flush=True)
    """

POLICY = """\
[[service.limited.grant]]
methods = ["executor.echo"]

[[service.metered.rate]]
methods = ["executor.echo"]
calls = 0.001
burst = 2

[[service.metered.params_bytes]]
methods = ["executor.echo"]
limit = 64

[[path.grant]]
methods = ["executor.echo"]
"""


@pytest.fixture(scope="module")
def children_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    layer = tmp_path_factory.mktemp("children")
    source = textwrap.dedent(PROBE)
    agent(layer / "svc" / "limited", source)
    for copy in (layer / "svc" / "metered", layer / "bin" / "probe"):
        # The same agent: its boot/main.wasm is the shared runtime, which runs its main.py.
        shutil.copytree(layer / "svc" / "limited", copy)
    (layer / "etc").mkdir()
    (layer / "etc" / "policy.toml").write_text(POLICY)
    return layer


def probes(text: str, prefix: str) -> list[dict[str, Any]]:
    """What each child printed on a line of ``text`` that starts with ``prefix``."""
    marker = f"{prefix}probe "
    lines = text.replace("\r", "").splitlines()
    return [json.loads(line.removeprefix(marker)) for line in lines if line.startswith(marker)]


def test_services_and_path_tools_hold_only_what_pid0s_policy_hands_them(
    kernel_image: Path, children_layer: Path, node_env: dict[str, str]
) -> None:
    argv = [*WW, "run", "--port", "0", str(kernel_image), str(children_layer)]
    with Terminal(argv, node_env) as term:
        seen = term.expect(PROMPT)
        seen += term.send("(probe)")
        deadline = time.monotonic() + 180
        services = ("limited", "metered")
        while not all(probes(seen, f"kernel: service {name}: ") for name in services):
            assert time.monotonic() < deadline, seen
            seen += term.expect("\n", timeout=deadline - time.monotonic())
    [limited], [metered] = (probes(seen, f"kernel: service {name}: ") for name in services)
    tool = probes(seen, "")
    denied = "policyDenied: grant: peer {} has no grant for executor.load"
    # Only echo: the load a child's own executor allows is refused by the grant.
    assert limited["held"] == ["identity", "executor", "ipfs"]
    assert limited["echo"] == "hi" and limited["again"] == "again"
    assert limited["load"] == denied.format("svc/limited"), limited
    # The PATH tool likewise, under the [path] section.
    assert len(tool) == 1, tool
    assert tool[0]["echo"] == "hi"
    assert tool[0]["load"] == denied.format("/bin/probe/boot/main.wasm"), tool
    # A byte budget and a rate hold for the service: the big echo spends nothing.
    assert metered["load"] == "loaded" and metered["echo"] == "hi", metered
    assert metered["big"].startswith(
        "policyDenied: params bytes executor.echo: 216 B is over the 64 B a call may send"
    ), metered
    assert metered["again"] == "again"
    assert metered["third"].startswith(
        "policyDenied: rate executor.echo 0.001/s per peer exceeded (retry after"
    ), metered


def test_a_node_whose_policy_names_a_missing_service_exits_non_zero_with_one_line(
    kernel_image: Path, node_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "policy.toml").write_text("# services\n[[service.ghost.rate]]\ncalls = 1\n")
    lines = failed_boot_lines([str(kernel_image), str(tmp_path)], node_env, "policy.toml")
    assert lines == [
        "kernel: etc/policy.toml line 2: [service.ghost] names no service of the image "
        "(no svc/ghost/boot/main.wasm)"
    ]
