"""A guest writing calls to the host without reading their results cannot make the node hold them.

Issue 12, attack 11: pid0 sending 3,000 x 1 MiB echo calls without reading
the answers grew the node to 2.4 GB.  pycapnp read every call from the
guest's channel and queued every result for it, outside the guest's own
memory limit.  The channel is now metered (`wetnode.rpc.metered`): the
guest's calls in flight are bounded by `--guest-max-calls`/`--guest-max-bytes`
(a question closes when its result has been written to the guest), so past
the bound the guest's next write blocks, and a guest that then takes none
of its results for `--guest-drain-timeout` seconds has its channel closed
and ends, with one line naming it.
"""

from __future__ import annotations

import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest

from tests.kernel.node_process import start_node
from tests.support.guests import BUILD_TIMEOUT, WW, loopback_env, ww_build
from tests.support.procfs import rss_bytes

pytestmark = pytest.mark.slow

MIB = 1 << 20
CALLS = 300  # 1 MiB echo calls the guest writes: 300 MiB
FLOW_BYTES = 4 * MIB  # the test node's --guest-max-bytes
DRAIN = 2.0  # the test node's --guest-drain-timeout
ENDS_WITHIN = 60.0  # seconds from "grafted" to the node's exit (the drain timeout, and slack)
# What the node may hold for the guest: the calls the bound lets in (and one more
# message), the results of those, each copied once by pycapnp on the way; plus 32 MiB
# for the guest's own heap growing while it builds 1 MiB messages, and the allocator.
GROWTH_BOUND = 4 * (FLOW_BYTES + MIB) + 32 * MIB
MAIN_PY = f"""\
import time

import wetnode.guest as ww
from wetnode.capnproto.vat import current_vat


async def main() -> int:
    membrane = await ww.connect()
    caps = await membrane.graft(membrane.signer().signer)
    executor = caps.executor
    await executor.echo("warm")
    print("grafted", flush=True)
    text = "x" * {MIB}
    vat = current_vat()
    for _ in range({CALLS}):
        executor.echo(text)  # its answer is never read
        # Write the call now with the blocking write, never reading what came back
        # (the vat's own flush would read the results while its writes wait).
        vat.transport.write(vat.conn.data_to_send())
    print("all written", flush=True)
    time.sleep(600)  # sleep-ok: the guest under test never reads again
    return 0
"""


BIG_CALLS = 64  # 1 MiB echoes pipelined in one go: far more than the channel's buffers
PIPELINING_PY = """\
import wetnode.guest as ww


async def main() -> int:
    membrane = await ww.connect()
    caps = await membrane.graft(membrane.signer().signer)
    answers = await ww.gather([caps.executor.echo(str(i)) for i in range(1000)])
    print(sum(a.response == str(i) for i, a in enumerate(answers)), flush=True)
    return 0
"""


BIG_PIPELINE_PY = f"""\
import wetnode.guest as ww


async def main() -> int:
    membrane = await ww.connect()
    caps = await membrane.graft(membrane.signer().signer)
    texts = [str(i % 10) * {MIB} for i in range({BIG_CALLS})]
    answers = await ww.gather([caps.executor.echo(text) for text in texts])
    print(sum(a.response == text for a, text in zip(answers, texts)), flush=True)
    return 0
"""


def _agent(tmp_path_factory, name: str, main_py: str) -> Path:
    project = tmp_path_factory.mktemp(name)
    (project / "boot").mkdir()
    (project / "boot" / "main.py").write_text(main_py)
    ww_build(project)
    return project


@pytest.fixture(scope="module")
def flooding_guest(tmp_path_factory) -> Path:
    return _agent(tmp_path_factory, "flooder", MAIN_PY)


def test_a_guest_that_does_not_read_its_results_is_held_back_then_ended(
    flooding_guest, ww_home
):
    env = loopback_env(ww_home, GUEST_MAX_BYTES=FLOW_BYTES, GUEST_DRAIN_TIMEOUT=DRAIN)
    proc = start_node(["--port", "0", str(flooding_guest)], env)
    stderr: list[str] = []
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.close()  # a daemon whose stdin is an open pipe waits for its end to exit
        threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
        line = proc.stdout.readline()  # bounded: pid0 prints it, or the node ends (EOF)
        assert line == "grafted\n", f"pid0 did not graft: {line!r}, {''.join(stderr)!r}"
        before = peak = rss_bytes(proc.pid)
        deadline = time.monotonic() + ENDS_WITHIN
        while proc.poll() is None and time.monotonic() < deadline:
            with suppress(LookupError):  # exiting: its memory is gone before the process
                peak = max(peak, rss_bytes(proc.pid))
            time.sleep(0.05)  # sleep-ok: the sampling pace of a measurement
        ended = proc.poll() is not None
    finally:
        proc.kill()
        proc.wait(timeout=30)
    out = proc.stdout.read()
    growth = peak - before
    assert growth < GROWTH_BOUND, (
        f"RSS grew {growth / MIB:.0f} MiB (bound {GROWTH_BOUND / MIB:.0f}) under {CALLS} MiB of"
        " calls whose results were never read"
    )
    assert "all written" not in out, "every call was taken in: nothing held the guest back"
    assert ended, f"the node still ran {ENDS_WITHIN:.0f}s after the guest stopped reading"
    log = "".join(stderr)
    assert f"guest pid0 took none of its results for {DRAIN:g}s" in log, log[-2000:]


def test_a_guest_pipelining_far_past_the_bound_gets_every_answer(tmp_path_factory, ww_home):
    """The bound holds calls back; it never drops one: 1,000 pipelined echoes through a
    channel that lets 4 in at a time all come back, in order."""
    project = _agent(tmp_path_factory, "pipeliner", PIPELINING_PY)
    env = loopback_env(ww_home, GUEST_MAX_CALLS=4, GUEST_DRAIN_TIMEOUT=DRAIN)
    ran = subprocess.run(
        [*WW, "run", "--port", "0", str(project)], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "1000\n"


def test_a_guest_pipelining_large_calls_past_the_bound_reads_results_while_it_writes(
    tmp_path_factory, ww_home
):
    """64 pipelined 1 MiB echoes through a channel that lets 4 calls in at a time all
    come back.  The guest writes them in one go; past the bound the host stops reading
    them until their results are taken, and those are larger than the socket's buffer,
    so a guest that only read once its writes were done would stall until the drain
    timeout ended it.  Its vat reads the results while its writes wait."""
    project = _agent(tmp_path_factory, "big-pipeliner", BIG_PIPELINE_PY)
    env = loopback_env(ww_home, GUEST_MAX_CALLS=4, GUEST_DRAIN_TIMEOUT=DRAIN)
    ran = subprocess.run(
        [*WW, "run", "--port", "0", str(project)], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout == f"{BIG_CALLS}\n"
