"""Epoch latency: from mining the K-th confirmation block to the on_epoch callback.

A real anvil, a fresh Atom, the real pipeline (WebSocket newHeads -> finalizer
-> on_epoch).  Each round moves the head, mines K-1 blocks, then times the
K-th block from just before the evm_mine request until on_epoch runs, so the
figure includes anvil mining the block.  Baselines measured in the same run:
an eth_blockNumber round trip, and an evm_mine round trip (the floor set by
the chain itself).  Target: median <= 250 ms.

    python -m bench stem
"""

from __future__ import annotations

import statistics
import time

import trio
from eth_abi import encode as abi_encode

from tests.support.devchain import Anvil
from wetnode.membrane.epoch import Epoch
from wetnode.stem import contract
from wetnode.stem.abi import SET_HEAD_SELECTOR
from wetnode.stem.epochs import EpochPipeline
from wetnode.stem.finalizer import DEFAULT_DEPTH
from wetnode.stem.rpc import HttpRpc

ROUNDS = 30
BASELINE_CALLS = 200


async def _timed(rpc: HttpRpc, method: str, calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await rpc.call(method)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def _run(chain: Anvil, atom: str) -> None:
    rpc = HttpRpc(chain.url)
    adopted: trio.Event = trio.Event()

    async def on_epoch(epoch: Epoch) -> None:
        adopted.set()

    pipeline = EpochPipeline(
        atom, on_epoch, rpc_url=chain.url, ws_url=chain.ws_url, depth=DEFAULT_DEPTH
    )
    latencies = []
    async with trio.open_nursery() as nursery:
        await nursery.start(pipeline.run)
        for round_ in range(ROUNDS):
            adopted = trio.Event()
            data = SET_HEAD_SELECTOR + abi_encode(["bytes"], [f"head-{round_}".encode()])
            tx = {"from": chain.accounts[0], "to": atom, "data": "0x" + data.hex()}
            await rpc.call("eth_sendTransactionSync", [tx])
            for _ in range(DEFAULT_DEPTH - 1):
                await rpc.call("evm_mine")
            start = time.perf_counter()
            await rpc.call("evm_mine")
            with trio.fail_after(10):
                await adopted.wait()
            latencies.append(time.perf_counter() - start)
        block_number = await _timed(rpc, "eth_blockNumber", BASELINE_CALLS)
        mine = await _timed(rpc, "evm_mine", BASELINE_CALLS)
        nursery.cancel_scope.cancel()
    await rpc.aclose()

    latency = statistics.median(latencies)
    print(f"stem: K={DEFAULT_DEPTH}, {ROUNDS} epochs")
    print(f"  K-th block mined -> on_epoch   median {latency * 1e3:8.2f} ms  (target <= 250 ms)")
    p90 = sorted(latencies)[int(0.9 * ROUNDS)]
    print(f"    p90 {p90 * 1e3:.2f} ms, max {max(latencies) * 1e3:.2f} ms")
    print(f"  baseline eth_blockNumber RTT   median {block_number * 1e3:8.2f} ms")
    print(f"  baseline evm_mine RTT          median {mine * 1e3:8.2f} ms")
    print(f"  ratio epoch / eth_blockNumber  {latency / block_number:8.1f}x")
    print(f"  ratio epoch / evm_mine         {latency / mine:8.1f}x")


def main() -> None:
    with Anvil() as chain:
        atom = contract.deploy(chain.url, chain.private_keys[0], b"genesis")
        trio.run(_run, chain, atom)


if __name__ == "__main__":
    main()
