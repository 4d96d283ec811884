"""`ww dial ADDRESS [METHOD [ARG ...]]`: call a remote node's exported capability.

Without METHOD it checks that the node answers on the export protocol.

A node exports pid0's Membrane.  `CAPABILITY.METHOD` (`executor.echo`,
`host.id`, `ipfs.unixfs`...) grafts onto it first, signing the node's
challenge with the dialer's key (`--identity`, else a fresh one), then calls
METHOD on that capability of the graft.  A plain METHOD calls the export
itself as ``--interface`` (default system.Executor), for programs that export
something else.

ARGs are given in the order of the method's parameters; Text, Data (UTF-8 of
the argument), numbers and Bool can be given on the command line.  A result
with one Text field prints as is; other results print as JSON (Data as hex,
capabilities as "<capability>").

    ww dial /ip4/127.0.0.1/tcp/2025/p2p/16Uiu2... executor.echo "hello"

`--shell` opens the kernel shell on the export instead: the kernel of a
local image (`--layer`, default images/kernel) runs here and its membrane
grafts onto the remote node (see `wetnode.remote_shell`).

    ww dial /ip4/127.0.0.1/tcp/2025/p2p/16Uiu2... --shell --layer images/kernel --layer tools
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import capnp
import trio
from libp2p.peer.id import ID

from wetnode import client, image
from wetnode.commands import UsageError
from wetnode.config import NodeConfig
from wetnode.errors import ImageError, NetError, sole_exception
from wetnode.keys import NodeKey
from wetnode.net.dial import Remote, parse_peer_address
from wetnode.net.protocol import PROTOCOL
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason

DEFAULT_INTERFACE = "system.Executor"
SHELL_IMAGE = "images/kernel"
# What a graft returns, by result field: the interface each one implements.
GRAFTED = {
    "identity": "stem.Identity",
    "host": "system.Host",
    "executor": "system.Executor",
    "ipfs": "ipfs.Client",
}

PEER_ID_FIELDS = {"peerId"}  # Data results that hold a binary libp2p peer ID
_INTEGERS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("address", help="the node's multiaddr, ending in /p2p/PEER_ID")
    parser.add_argument("method", nargs="?", help="method of the exported interface to call")
    parser.add_argument("args", nargs="*", help="the method's parameters, in order")
    parser.add_argument(
        "--interface",
        default=DEFAULT_INTERFACE,
        help=f"schema.Interface the export implements (default {DEFAULT_INTERFACE})",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for the whole call"
    )
    parser.add_argument(
        "--identity",
        metavar="PATH",
        help="the dialer's key file (for grafting; default: a fresh key for this call)",
    )
    parser.add_argument(
        "--shell",
        action="store_true",
        help="open the kernel shell on the export (interactive; no METHOD)",
    )
    parser.add_argument(
        "--layer",
        action="append",
        metavar="DIR",
        help=f"with --shell: local image layer(s) the shell runs from (default {SHELL_IMAGE})",
    )


def run(args: argparse.Namespace) -> int:
    if not args.debug:  # py-libp2p logs every failed dial attempt at ERROR; one line is ours
        logging.getLogger("libp2p").setLevel(logging.CRITICAL)
    secret = NodeKey.load(Path(args.identity)).secret if args.identity else None
    if args.shell:
        return _shell(args, secret)
    if args.layer:
        raise UsageError("--layer goes with --shell")
    grafted, method = _split(args.method)
    interface = None
    if method is not None:
        name = GRAFTED[grafted] if grafted else args.interface
        interface = _interface(name)
        _check_method(interface, grafted or name, method, args.args)
    return trio.run(_dial, args, grafted, method, interface, secret)


def _shell(args: argparse.Namespace, secret: bytes | None) -> int:
    if args.method is not None:
        raise UsageError("--shell opens the shell; give either --shell or METHOD, not both")
    from wetnode.remote_shell import run_remote_shell  # imports wasmtime: only here

    peer_id, transport = parse_peer_address(args.address)  # checked before anything starts
    if not args.layer and not Path(SHELL_IMAGE).is_dir():
        raise ImageError(
            f"no kernel for the shell: {SHELL_IMAGE} is not in this directory; pass "
            "--layer DIR with a built kernel (boot/main.wasm), e.g. a checkout's images/kernel"
        )
    layers = image.resolve_mounts(args.layer or [SHELL_IMAGE])
    config = NodeConfig.from_args(args, os.environ)
    key = NodeKey(secret) if secret is not None else NodeKey.generate()
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shell-", dir=config.run_dir) as work:
        root = image.materialize(image.merge(layers).files, Path(work) / "root")
        try:
            return trio.run(
                run_remote_shell, peer_id, transport, key, root, config.cache_dir, config.limits
            )
        except BaseExceptionGroup as group:
            raise sole_exception(group) from None


def _split(target: str | None) -> tuple[str | None, str | None]:
    """`executor.echo` -> ("executor", "echo"); `echo` -> (None, "echo")."""
    if target is None or "." not in target:
        return None, target
    capability, _, method = target.partition(".")
    if capability not in GRAFTED:
        raise UsageError(
            f"{target!r}: a graft hands out {', '.join(GRAFTED)}; use CAPABILITY.METHOD "
            "such as executor.echo"
        )
    return capability, method


async def _dial(
    args: argparse.Namespace,
    grafted: str | None,
    method: str | None,
    interface: Any,
    secret: bytes | None,
) -> int:
    with trio.move_on_after(args.timeout) as scope:
        cast = None if grafted else interface
        async with client.dial(
            args.address, interface=cast, graft=grafted is not None, secret=secret
        ) as remote:
            if method is None:
                print(f"{remote.peer_id} serves {PROTOCOL}")
                return 0
            result = await _call(remote, grafted, method, interface, args.args)
            print(result if isinstance(result, str) else json.dumps(result, indent=2))
            return 0
    assert scope.cancelled_caught
    raise NetError(f"no answer from {args.address} within {args.timeout:g} s (--timeout)")


def _interface(name: str) -> Any:
    module_name, _, iface = name.partition(".")
    try:
        return getattr(schema.load(module_name), iface)
    except (KeyError, AttributeError):
        raise UsageError(
            f"--interface {name!r} is not a known interface; use schema.Interface, "
            f"e.g. {DEFAULT_INTERFACE} or stem.Membrane"
        ) from None


def _check_method(interface: Any, iface_name: str, method: str, values: list[str]) -> None:
    methods = interface.schema.methods
    if method not in methods:
        raise UsageError(
            f"{iface_name} has no method {method!r}; it has: {', '.join(sorted(methods))}"
        )
    fields = methods[method].param_type.fields_list
    if len(values) != len(fields):
        names = " ".join(f.proto.name.upper() for f in fields) or "no arguments"
        raise UsageError(f"{iface_name}.{method} takes {names} ({len(values)} given)")
    for field, value in zip(fields, values, strict=True):
        _convert(field, value)  # fail on the command line, before dialling


def _convert(field: Any, value: str) -> Any:
    kind = field.proto.slot.type.which()
    name = field.proto.name
    try:
        if kind == "text":
            return value
        if kind == "data":
            return value.encode()
        if kind in _INTEGERS:
            return int(value, 0)
        if kind in ("float32", "float64"):
            return float(value)
        if kind == "bool" and value.lower() in ("true", "false"):
            return value.lower() == "true"
    except ValueError:
        raise UsageError(f"parameter {name}: {value!r} is not a valid {kind}") from None
    raise UsageError(f"parameter {name} ({kind}) cannot be given on the command line")


async def _call(
    remote: Remote, grafted: str | None, method: str, interface: Any, values: list[str]
) -> Any:
    what = f"{grafted}.{method}" if grafted else method
    try:
        return await remote.run(_invoke, grafted, method, interface, values)
    except capnp.KjException as exc:
        if exc.type == "DISCONNECTED":
            raise NetError(f"{remote.peer_id} disconnected during {what}") from exc
        reason = remote_reason(exc)
        raise NetError(f"{what} failed on {remote.peer_id}: {reason}") from exc


async def _invoke(
    cap: Any, grafted: str | None, method: str, interface: Any, values: list[str]
) -> Any:
    """On the vat: call ``method`` and turn the result into plain data."""
    if grafted is not None:  # `cap` is the graft's results
        cap = getattr(cap, grafted).cast_as(interface)
    spec = cap.schema.methods[method]
    fields = spec.param_type.fields_list
    params = {f.proto.name: _convert(f, v) for f, v in zip(fields, values, strict=True)}
    response = await cap._send(method, **params)
    fields = spec.result_type.fields_list
    plain = {f.proto.name: _plain(f, response) for f in fields}
    if len(plain) == 1 and isinstance(only := next(iter(plain.values())), str):
        return only  # one text result (or a peer ID): printed as it is
    return plain


def _plain(field: Any, response: Any) -> Any:
    kind = field.proto.slot.type.which()
    if kind in ("interface", "anyPointer"):
        return "<capability>"
    value = getattr(response, field.proto.name)
    if kind == "data" and field.proto.name in PEER_ID_FIELDS:
        return ID(bytes(value)).to_base58()  # as users see peer IDs, not its bytes in hex
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__.startswith("_DynamicList"):
        return [_jsonable(v) for v in value]
    return value
