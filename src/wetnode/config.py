"""Node config: how this host behaves on this machine (never part of an image).

Each setting comes from its flag, else its ``WW_*`` environment variable,
else the default.  A bad value is a `UsageError` naming where it came from.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from wetnode.cell.limits import Limits
from wetnode.errors import UsageError
from wetnode.image.limits import DEFAULT_LIMITS, LayerLimits
from wetnode.paths import data_dir

T = TypeVar("T")

DEFAULT_PORT = 2025
DEFAULT_LISTEN = "0.0.0.0"
DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_WS_URL = "ws://127.0.0.1:8545"
DEFAULT_CONFIRMATIONS = 6
DEFAULT_GUEST_MEMORY = 1 << 30
DEFAULT_IPFS_TIMEOUT = 30.0

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes from `512M`, `1G`, `1GiB`, `4096` (binary units)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 512M or 1G")
    number, unit = match.groups()
    value = int(float(number) * _UNITS[(unit or "")[:1].lower()])
    if value <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return value


def parse_seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return value


def parse_port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{text!r} is not a TCP port (0-65535; 0 picks a free one)")
    return value


def parse_ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)") from None


def parse_count(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return value


def parse_depth(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"{text!r} must be zero or more")
    return value


@dataclass
class NodeConfig:
    port: int = DEFAULT_PORT
    listen: str = DEFAULT_LISTEN
    identity: Path | None = None
    home: Path = field(default_factory=data_dir)
    wasm_debug: bool = False
    limits: Limits = field(default_factory=Limits)
    ipfs_api: str | None = None
    ipfs_timeout: float = DEFAULT_IPFS_TIMEOUT
    stem: str | None = None
    rpc_url: str = DEFAULT_RPC_URL
    ws_url: str = DEFAULT_WS_URL
    confirmation_depth: int = DEFAULT_CONFIRMATIONS
    peers: tuple[str, ...] = ()  # multiaddrs ending in /p2p/<id>, dialled at boot
    layer_limits: LayerLimits = DEFAULT_LIMITS

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def run_dir(self) -> Path:
        """Where running nodes materialise their image roots."""
        return self.home / "run"

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> NodeConfig:
        def pick(flag: str, env: str, parse: Callable[[str], T], default: T) -> T:
            raw = getattr(args, flag.lstrip("-").replace("-", "_"), None)
            where = flag
            if raw is None and environ.get(env):
                raw, where = environ[env], f"${env}"
            if raw is None:
                return default
            try:
                return parse(str(raw))
            except ValueError as exc:
                raise UsageError(f"{where}: {exc}") from None

        return cls(
            port=pick("--port", "WW_PORT", parse_port, DEFAULT_PORT),
            listen=pick("--listen", "WW_LISTEN", parse_ipv4, DEFAULT_LISTEN),
            identity=pick("--identity", "WW_IDENTITY", lambda s: Path(s).expanduser(), None),
            home=data_dir(),
            wasm_debug=bool(getattr(args, "wasm_debug", False)),
            limits=Limits(
                memory_bytes=pick(
                    "--guest-memory", "WW_GUEST_MEMORY", parse_size, DEFAULT_GUEST_MEMORY
                ),
                cpu_seconds=pick("--guest-cpu", "WW_GUEST_CPU", parse_seconds, None),
                wall_seconds=pick("--guest-wall", "WW_GUEST_WALL", parse_seconds, None),
            ),
            ipfs_api=pick("--ipfs-api", "WW_IPFS_API", str, None),
            ipfs_timeout=pick(
                "--ipfs-timeout", "WW_IPFS_TIMEOUT", parse_seconds, DEFAULT_IPFS_TIMEOUT
            ),
            stem=pick("--stem", "WW_STEM", str, None),
            rpc_url=pick("--rpc-url", "WW_RPC_URL", str, DEFAULT_RPC_URL),
            ws_url=pick("--ws-url", "WW_WS_URL", str, DEFAULT_WS_URL),
            confirmation_depth=pick(
                "--confirmation-depth", "WW_CONFIRMATION_DEPTH", parse_depth, DEFAULT_CONFIRMATIONS
            ),
            peers=tuple(getattr(args, "peer", None) or environ.get("WW_PEERS", "").split()),
            layer_limits=LayerLimits(
                max_bytes=pick(
                    "--layer-max-bytes", "WW_LAYER_MAX_BYTES", parse_size, DEFAULT_LIMITS.max_bytes
                ),
                max_files=pick(
                    "--layer-max-files", "WW_LAYER_MAX_FILES", parse_count, DEFAULT_LIMITS.max_files
                ),
                max_depth=pick(
                    "--layer-max-depth", "WW_LAYER_MAX_DEPTH", parse_count, DEFAULT_LIMITS.max_depth
                ),
                max_block=pick(
                    "--layer-max-block", "WW_LAYER_MAX_BLOCK", parse_size, DEFAULT_LIMITS.max_block
                ),
                max_seconds=pick(
                    "--layer-timeout", "WW_LAYER_TIMEOUT", parse_seconds, DEFAULT_LIMITS.max_seconds
                ),
            ),
        )


def add_node_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of a running node (`ww run`); each has a WW_* variable."""
    g = parser.add_argument_group("node config (flag, else environment, else default)")
    g.add_argument("--port", help=f"libp2p TCP port; 0 picks a free one (WW_PORT; {DEFAULT_PORT})")
    g.add_argument(
        "--listen", metavar="IP", help=f"IPv4 address to listen on (WW_LISTEN; {DEFAULT_LISTEN})"
    )
    g.add_argument(
        "--identity",
        metavar="PATH",
        help="node key file (WW_IDENTITY; else /etc/identity in the image, else an ephemeral key)",
    )
    g.add_argument("--wasm-debug", action="store_true", help="keep WASM debug info for guests")
    g.add_argument("--guest-memory", metavar="SIZE", help="memory per guest (WW_GUEST_MEMORY; 1G)")
    g.add_argument(
        "--guest-cpu", metavar="SECONDS", help="CPU time per guest (WW_GUEST_CPU; unlimited)"
    )
    g.add_argument(
        "--guest-wall",
        metavar="SECONDS",
        help="wall-clock time per guest (WW_GUEST_WALL; unlimited)",
    )
    g.add_argument(
        "--ipfs-api", metavar="URL", help="Kubo RPC API (WW_IPFS_API; default: embedded store)"
    )
    g.add_argument(
        "--ipfs-timeout",
        metavar="SECONDS",
        help="give up on IPFS content nobody provides after this long "
        f"(WW_IPFS_TIMEOUT; {DEFAULT_IPFS_TIMEOUT:g})",
    )
    g.add_argument(
        "--peer",
        metavar="MULTIADDR",
        action="append",
        help="a peer to connect to at boot, /ip4/HOST/tcp/PORT/p2p/ID; repeatable "
        "(WW_PEERS, space-separated): /ipfs/ layers and content are fetched from peers",
    )
    g.add_argument("--stem", metavar="ADDR", help="Atom contract: boot on its head, follow epochs")
    g.add_argument(
        "--rpc-url", metavar="URL", help=f"chain HTTP JSON-RPC (WW_RPC_URL; {DEFAULT_RPC_URL})"
    )
    g.add_argument(
        "--ws-url", metavar="URL", help=f"chain WebSocket JSON-RPC (WW_WS_URL; {DEFAULT_WS_URL})"
    )
    g.add_argument(
        "--confirmation-depth", metavar="N",
        help=f"blocks before a new head is final (WW_CONFIRMATION_DEPTH; {DEFAULT_CONFIRMATIONS})",
    )  # fmt: skip
    limits = DEFAULT_LIMITS
    g.add_argument(
        "--layer-max-bytes",
        metavar="SIZE",
        help=f"file bytes per image layer (WW_LAYER_MAX_BYTES; {limits.max_bytes >> 30}G)",
    )
    g.add_argument(
        "--layer-max-files",
        metavar="N",
        help=f"entries per image layer (WW_LAYER_MAX_FILES; {limits.max_files})",
    )
    g.add_argument(
        "--layer-max-depth",
        metavar="N",
        help=f"directory nesting in a layer (WW_LAYER_MAX_DEPTH; {limits.max_depth})",
    )
    g.add_argument(
        "--layer-max-block",
        metavar="SIZE",
        help=f"one IPFS block of a layer (WW_LAYER_MAX_BLOCK; {limits.max_block >> 20}M)",
    )
    g.add_argument(
        "--layer-timeout",
        metavar="SECONDS",
        help=f"fetching one layer (WW_LAYER_TIMEOUT; {limits.max_seconds:g})",
    )
