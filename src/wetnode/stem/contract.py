"""Deploy an Atom contract, read its head, move its head.

Synchronous web3 over HTTP: these are one-shot operator commands (``ww stem``,
``ww push --stem``) and web3's async API only runs under asyncio.  Every
failure an operator can fix comes out as a one-line ``StemError`` naming the
cause: chain unreachable, wrong chain id, no contract at the address, not the
owner, no change, no funds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    Web3RPCError,
)

from wetnode.stem.abi import Head, artifact, decode_log, hex_bytes, revert_reason
from wetnode.stem.errors import StemError

log = logging.getLogger(__name__)

RECEIPT_TIMEOUT = 120.0
T = TypeVar("T")


@dataclass(frozen=True)
class HeadSet:
    """What a successful ``setHead`` did."""

    seq: int
    tx_hash: str
    block_number: int


def connect(rpc_url: str, *, chain_id: int | None = None) -> Web3:
    """A Web3 client for ``rpc_url``, checked reachable and (optionally) on ``chain_id``."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    actual = _call(rpc_url, lambda: w3.eth.chain_id)
    if chain_id is not None and actual != chain_id:
        raise StemError(
            f"the chain at {rpc_url} has chain id {actual}, not {chain_id}: "
            "check --rpc-url or --chain-id"
        )
    return w3


def account_for(key: bytes | str) -> LocalAccount:
    """An Ethereum account from a 32-byte secp256k1 secret (raw or hex)."""
    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise StemError(
            f"the signing key is not a 32-byte secp256k1 secret in hex: {exc}"
        ) from None


def deploy(
    rpc_url: str, key: bytes | str, initial_cid: bytes, *, chain_id: int | None = None
) -> str:
    """Deploy a new Atom whose head starts at ``initial_cid``; return its address."""
    w3 = connect(rpc_url, chain_id=chain_id)
    account = account_for(key)
    factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
    tx = _build(rpc_url, w3, account, factory.constructor(initial_cid))
    receipt = _send(rpc_url, w3, account, tx)
    address = Web3.to_checksum_address(receipt["contractAddress"])
    log.info("deployed Atom at %s in block %d", address, receipt["blockNumber"])
    return address


def read_head(
    rpc_url: str, address: str, *, block: int | str = "latest", chain_id: int | None = None
) -> Head:
    """The contract's ``(seq, cid)`` at ``block``, read with one eth_call."""
    w3 = connect(rpc_url, chain_id=chain_id)
    atom = _atom(rpc_url, w3, address)
    seq, cid = _call(rpc_url, lambda: atom.functions.head().call(block_identifier=block))
    return Head(seq=seq, cid=bytes(cid))


def set_head(
    rpc_url: str,
    address: str,
    cid_bytes: bytes,
    key: bytes | str,
    *,
    chain_id: int | None = None,
) -> HeadSet:
    """Move the head of the Atom at ``address`` to ``cid_bytes``, signed by ``key``.

    The transaction is simulated first (gas estimation), so ``NotOwner`` and
    ``NoChange`` come back as clear errors before anything is spent.
    """
    w3 = connect(rpc_url, chain_id=chain_id)
    account = account_for(key)
    atom = _atom(rpc_url, w3, address)
    tx = _build(rpc_url, w3, account, atom.functions.setHead(cid_bytes), atom=atom)
    receipt = _send(rpc_url, w3, account, tx)
    if len(receipt["logs"]) != 1:
        raise StemError(f"setHead on {address} succeeded but did not emit one HeadUpdated event")
    event = decode_log(json_log(receipt["logs"][0]))
    log.info("head of %s is now seq %d (block %d)", address, event.seq, event.block_number)
    return HeadSet(event.seq, receipt["transactionHash"].to_0x_hex(), event.block_number)


def json_log(raw: Any) -> dict[str, Any]:
    """A web3 receipt log in the JSON-RPC shape ``abi.decode_log`` reads."""
    return {
        "topics": [t.to_0x_hex() for t in raw["topics"]],
        "data": raw["data"].to_0x_hex(),
        "blockNumber": hex(raw["blockNumber"]),
        "blockHash": raw["blockHash"].to_0x_hex(),
        "logIndex": hex(raw["logIndex"]),
        "transactionHash": raw["transactionHash"].to_0x_hex(),
    }


def _atom(rpc_url: str, w3: Web3, address: str) -> Any:
    if not Web3.is_address(address):
        raise StemError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits)")
    checksum = Web3.to_checksum_address(address)
    if not _call(rpc_url, lambda: w3.eth.get_code(checksum)):
        raise StemError(
            f"no contract at {checksum} on chain {w3.eth.chain_id} ({rpc_url}): "
            "check the address and --rpc-url"
        )
    return w3.eth.contract(address=checksum, abi=artifact()["abi"])


def _build(
    rpc_url: str,
    w3: Web3,
    account: LocalAccount,
    call: Any,
    atom: Any = None,
) -> dict[str, Any]:
    """Fill ``call``'s transaction (nonce, gas, fees); reverts and missing funds become errors.

    ``call`` is a web3 constructor or contract function call; building it runs
    eth_estimateGas, which simulates it and surfaces custom-error reverts.
    """
    nonce = _call(rpc_url, lambda: w3.eth.get_transaction_count(account.address, "pending"))
    fields = {"from": account.address, "nonce": nonce}
    try:
        tx = _call(rpc_url, lambda: call.build_transaction(fields))
    except ContractCustomError as exc:
        raise _revert_error(exc, account, atom) from None
    except (ContractLogicError, Web3RPCError) as exc:
        raise _rpc_error(exc, w3, account) from None
    cost = tx["gas"] * tx.get("maxFeePerGas", tx.get("gasPrice", 0))
    balance = _call(rpc_url, lambda: w3.eth.get_balance(account.address))
    if balance < cost:
        raise _no_funds(w3, account, balance, cost)
    return tx


def _send(rpc_url: str, w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> Any:
    signed = account.sign_transaction(tx)
    try:
        tx_hash = _call(rpc_url, lambda: w3.eth.send_raw_transaction(signed.raw_transaction))
        log.info("sent transaction %s, waiting for its receipt", tx_hash.to_0x_hex())
        receipt = _call(
            rpc_url, lambda: w3.eth.wait_for_transaction_receipt(tx_hash, RECEIPT_TIMEOUT)
        )
    except Web3RPCError as exc:
        raise _rpc_error(exc, w3, account) from None
    except TimeExhausted:
        raise StemError(
            f"transaction {tx_hash.to_0x_hex()} was not mined within {RECEIPT_TIMEOUT:.0f} s"
        ) from None
    if receipt["status"] != 1:
        raise StemError(f"transaction {tx_hash.to_0x_hex()} reverted on chain")
    return receipt


def _revert_error(exc: ContractCustomError, account: LocalAccount, atom: Any) -> StemError:
    data = exc.data if isinstance(exc.data, str) else ""
    reason = revert_reason(hex_bytes(data)) if data.startswith("0x") else None
    if atom is not None and reason == "NotOwner":
        return StemError(
            f"account {account.address} is not the owner of the Atom at {atom.address} "
            f"(owner: {atom.functions.owner().call()}): sign with the owner's key"
        )
    if atom is not None and reason == "NoChange":
        return StemError(f"the head of {atom.address} is already that CID: nothing to publish")
    return StemError(f"the contract rejected the transaction: {reason or exc}")


def _rpc_error(exc: Exception, w3: Web3, account: LocalAccount) -> StemError:
    text = str(exc)
    if "insufficient funds" in text.lower():
        return _no_funds(w3, account, w3.eth.get_balance(account.address), None)
    return StemError(f"the chain rejected the transaction: {text}")


def _no_funds(w3: Web3, account: LocalAccount, balance: int, cost: int | None) -> StemError:
    need = f", it needs about {Web3.from_wei(cost, 'ether'):f} ETH" if cost else ""
    return StemError(
        f"account {account.address} has {Web3.from_wei(balance, 'ether'):f} ETH on chain "
        f"{w3.eth.chain_id}{need}: fund it or sign with another key"
    )


def _call(rpc_url: str, fn: Callable[[], T]) -> T:
    """Run one web3 request, turning an unreachable chain into a clear error."""
    try:
        return fn()
    except (requests.ConnectionError, requests.Timeout, ProviderConnectionError) as exc:
        raise StemError(
            f"cannot reach the chain at {rpc_url} ({type(exc).__name__}): "
            "is the node running? check --rpc-url"
        ) from None
