"""Node config: how this host behaves on this machine (never part of an image).

Each setting comes from its flag, else its ``WW_*`` environment variable,
else the default.  A bad value is a `ConfigError` naming where it came from.

`OPTIONS` is the one table of those settings: it declares the flags of every
command that takes some (`add_options`), reads the environment
(`Option.value`), builds `NodeConfig`, and is the options table of
docs/cli.md (`markdown_table`; scripts/gen_cli_options.py writes it there).
"""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetnode.cell.limits import (
    CACHE_MAX_BYTES,
    DRAIN_TIMEOUT,
    GUEST_FLOW_LIMITS,
    GUEST_MAX_BYTES,
    GUEST_MAX_CALLS,
    MAX_GUESTS,
    MEMORY_BUDGET,
    Limits,
)
from wetnode.errors import ConfigError
from wetnode.layer_limits import DEFAULT_LIMITS, LayerLimits
from wetnode.mcp.spec import ServerSpec, parse_spec
from wetnode.net.limits import DEFAULT_CONN_LIMITS, DEFAULT_FLOW_LIMITS, ConnLimits, FlowLimits
from wetnode.paths import data_dir

DEFAULT_PORT = 2025
DEFAULT_LISTEN = "0.0.0.0"
DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_WS_URL = "ws://127.0.0.1:8545"
DEFAULT_CONFIRMATIONS = 6
DEFAULT_IPFS_TIMEOUT = 30.0
DEFAULT_AUDIT_FLUSH = 0.5
DEFAULT_AUDIT_SIGN_EVERY = 1000
DEFAULT_AUDIT_KEEP = 10

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


def parse_listen(text: str) -> tuple[str, int | None]:
    """An IPv4 address (no port), or a multiaddr ``/ip4/IP/tcp/PORT`` as the reference `ww` takes.

    The multiaddr's port is used unless ``--port`` (or ``$WW_PORT``) is
    given: the explicit port wins (`NodeConfig.from_args`).
    """
    if not text.startswith("/"):
        return parse_ipv4(text), None
    parts = text.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "ip4" or parts[2] != "tcp":
        raise ValueError(f"{text!r} is neither an IPv4 address nor a multiaddr /ip4/IP/tcp/PORT")
    return parse_ipv4(parts[1]), parse_port(parts[3])


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


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "on", "yes", "true"):
        return True
    if lowered in ("0", "off", "no", "false"):
        return False
    raise ValueError(f"{text!r} is neither on nor off (1/0, yes/no, true/false also do)")


def parse_path(text: str) -> Path:
    return Path(text).expanduser()


@dataclass(frozen=True)
class Option:
    """One setting: its flag, its ``WW_*`` variable, how its text parses, its default, its help.

    ``shown`` is the default as help and docs print it when the value itself
    would not say it (``1G``, ``unlimited``).  A ``repeatable`` option's flag
    may be given more than once and its variable holds values split on
    ``separator`` (None: whitespace); its value is a tuple.  A ``switch`` is a
    flag without a value (on when given); its variable takes on/off.
    """

    flag: str
    env: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    metavar: str
    shown: str | None = None
    repeatable: bool = False
    separator: str | None = None
    switch: bool = False

    @property
    def name(self) -> str:
        """The flag without its dashes: how commands pick the option (`option`)."""
        return self.flag.removeprefix("--")

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)

    @property
    def env_note(self) -> str:
        if not self.repeatable:
            return ""
        return f" (`{self.separator}`-separated)" if self.separator else " (space-separated)"

    def value(self, args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
        """The flag's value, else the variable's, else the default."""
        raw = getattr(args, self.dest, None)
        if raw is None:
            return self.from_environ(environ)
        return self._parse(raw, self.flag)

    def from_environ(self, environ: Mapping[str, str]) -> Any:
        """The variable's value, else the default (for callers that have no flag)."""
        raw = environ.get(self.env)
        return self._parse(raw, f"${self.env}") if raw else self.default

    def _parse(self, raw: str | list[str], where: str) -> Any:
        try:
            if self.repeatable:
                texts = raw.split(self.separator) if isinstance(raw, str) else raw
                return tuple(self.parse(text.strip()) for text in texts if text.strip())
            return self.parse(str(raw))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None


OPTIONS: tuple[Option, ...] = (
    Option("--port", "WW_PORT", parse_port, DEFAULT_PORT,
           "libp2p TCP port; 0 picks a free one", "N"),
    Option("--listen", "WW_LISTEN", parse_listen, (DEFAULT_LISTEN, None),
           "IPv4 address the swarm listens on, or /ip4/IP/tcp/PORT (--port wins over its port)",
           "ADDR", shown=DEFAULT_LISTEN),
    Option("--identity", "WW_IDENTITY", parse_path, None,
           "node key file", "PATH", shown="/etc/identity in the image, else an ephemeral key"),
    Option("--guest-memory", "WW_GUEST_MEMORY", parse_size, Limits().memory_bytes,
           "memory per guest, and results the host may hold for it unread (512M, 2G, bytes)",
           "SIZE", shown="1G"),
    Option("--guest-cpu", "WW_GUEST_CPU", parse_seconds, None,
           "CPU seconds per guest", "SECONDS", shown="unlimited"),
    Option("--guest-wall", "WW_GUEST_WALL", parse_seconds, None,
           "wall-clock seconds per guest", "SECONDS", shown="unlimited"),
    Option("--max-guests", "WW_MAX_GUESTS", parse_count, MAX_GUESTS,
           "child guests running at once, node-wide (more spawns are refused)", "N"),
    Option("--guest-memory-max", "WW_GUEST_MEMORY_MAX", parse_size, MEMORY_BUDGET,
           "the memory limits of all running guests (pid0's too) added up; a spawn past it "
           "is refused (default: --max-guests and pid0 at 1G each)", "SIZE", shown="257G"),
    Option("--compile-cache-max", "WW_COMPILE_CACHE_MAX", parse_size, CACHE_MAX_BYTES,
           "compiled guests kept on disk (least recently used removed first)", "SIZE",
           shown="2G"),
    Option("--peer", "WW_PEERS", str, (),
           "a peer to connect to at boot, /ip4/HOST/tcp/PORT/p2p/ID (repeatable); "
           "/ipfs/ layers and content are fetched from peers",
           "MULTIADDR", shown="none", repeatable=True),
    Option("--bootstrap", "WW_BOOTSTRAP", str, (),
           "a DHT bootstrap peer, /ip4/HOST/tcp/PORT/p2p/ID (repeatable): the node joins the "
           "DHT through it and finds providers of content and names there",
           "MULTIADDR", shown="none", repeatable=True),
    Option("--mdns", "WW_MDNS", parse_bool, False,
           "find peers on the local network by mDNS and join the DHT through them", "",
           shown="off (WW_MDNS=1 turns it on)", switch=True),
    Option("--hooks-fail-open", "WW_HOOKS_FAIL_OPEN", parse_bool, False,
           "debugging only: a policy hook that fails, traps or misses its budget allows the "
           "call instead of refusing it (docs/policy.md); an image cannot turn this on", "",
           shown="off: a failing hook refuses", switch=True),
    Option("--ipfs-api", "WW_IPFS_API", str, None,
           "a Kubo RPC API such as http://127.0.0.1:5001", "URL",
           shown="the embedded block store (with bitswap in a running node)"),
    Option("--ipfs-timeout", "WW_IPFS_TIMEOUT", parse_seconds, DEFAULT_IPFS_TIMEOUT,
           "give up on IPFS content nobody provides after this long", "SECONDS"),
    Option("--stem", "WW_STEM", str, None,
           "Atom contract: boot on its head, follow its epochs", "ADDR", shown="none"),
    Option("--rpc-url", "WW_RPC_URL", str, DEFAULT_RPC_URL,
           "chain HTTP JSON-RPC", "URL"),
    Option("--ws-url", "WW_WS_URL", str, DEFAULT_WS_URL,
           "chain WebSocket JSON-RPC", "URL"),
    Option("--confirmation-depth", "WW_CONFIRMATION_DEPTH", parse_depth, DEFAULT_CONFIRMATIONS,
           "blocks before a new head is final", "N"),
    Option("--layer-max-bytes", "WW_LAYER_MAX_BYTES", parse_size, DEFAULT_LIMITS.max_bytes,
           "file bytes in one image layer", "SIZE", shown="1G"),
    Option("--layer-max-files", "WW_LAYER_MAX_FILES", parse_count, DEFAULT_LIMITS.max_files,
           "files, directories and symlinks in one image layer", "N"),
    Option("--layer-max-depth", "WW_LAYER_MAX_DEPTH", parse_count, DEFAULT_LIMITS.max_depth,
           "directory nesting in one image layer", "N"),
    Option("--layer-max-block", "WW_LAYER_MAX_BLOCK", parse_size, DEFAULT_LIMITS.max_block,
           "one IPFS block of an image layer", "SIZE", shown="2M"),
    Option("--layer-timeout", "WW_LAYER_TIMEOUT", parse_seconds, DEFAULT_LIMITS.max_seconds,
           "reading (fetching) one image layer", "SECONDS"),
    Option("--audit", "WW_AUDIT", parse_bool, True,
           "record every capability call in the node's audit log (docs/audit.md)", "on/off",
           shown="on"),
    Option("--audit-flush", "WW_AUDIT_FLUSH", parse_seconds, DEFAULT_AUDIT_FLUSH,
           "write recorded audit events this often; a crash loses at most this much", "SECONDS"),
    Option("--audit-sign-every", "WW_AUDIT_SIGN_EVERY", parse_count, DEFAULT_AUDIT_SIGN_EVERY,
           "sign the audit chain's head after this many events (and at shutdown)", "N"),
    Option("--audit-keep", "WW_AUDIT_KEEP", parse_count, DEFAULT_AUDIT_KEEP,
           "audit logs of ephemeral-key nodes kept in audit/ephemeral/ (older ones removed at "
           "start)", "N"),
    Option("--mcp", "WW_MCP", parse_spec, (),
           "run a stdio MCP server for pid0's Mcp capability, e.g. time=mcp-server-time "
           "(repeatable; see docs/mcp.md)",
           "NAME=COMMAND", shown="none", repeatable=True, separator=";"),
    Option("--net-max-message", "WW_NET_MAX_MESSAGE", parse_size, DEFAULT_CONN_LIMITS.max_message,
           "one multistream negotiation message a peer sends", "SIZE", shown="4K"),
    Option("--net-handshake-timeout", "WW_NET_HANDSHAKE_TIMEOUT", parse_seconds,
           DEFAULT_CONN_LIMITS.handshake_seconds,
           "an inbound connection's Noise and multistream handshake", "SECONDS"),
    Option("--net-max-pending", "WW_NET_MAX_PENDING", parse_count, DEFAULT_CONN_LIMITS.max_pending,
           "inbound connections in the handshake at once (more are closed)", "N"),
    Option("--net-max-pending-per-address", "WW_NET_MAX_PENDING_PER_ADDRESS", parse_count,
           DEFAULT_CONN_LIMITS.max_pending_per_address,
           "of those, from one source IP address (an IPv6 /64)", "N"),
    Option("--net-max-connections", "WW_NET_MAX_CONNECTIONS", parse_count,
           DEFAULT_CONN_LIMITS.max_connections,
           "authenticated inbound connections, all peers", "N"),
    Option("--net-max-per-peer", "WW_NET_MAX_PER_PEER", parse_count,
           DEFAULT_CONN_LIMITS.max_per_peer,
           "authenticated inbound connections of one peer", "N"),
    Option("--net-max-streams", "WW_NET_MAX_STREAMS", parse_count, DEFAULT_CONN_LIMITS.max_streams,
           "inbound streams open at once on one connection (more are reset)", "N"),
    Option("--net-idle", "WW_NET_IDLE", parse_seconds, DEFAULT_CONN_LIMITS.idle_seconds,
           "a connection this old with no open stream gives its slot to a newcomer at a limit",
           "SECONDS"),
    Option("--rpc-max-calls", "WW_RPC_MAX_CALLS", parse_count, DEFAULT_FLOW_LIMITS.max_calls,
           "a peer's calls in flight on one RPC stream (past it the node stops reading it)",
           "N"),
    Option("--rpc-max-bytes", "WW_RPC_MAX_BYTES", parse_size, DEFAULT_FLOW_LIMITS.max_bytes,
           "bytes of a peer's calls in flight on one RPC stream (the same)", "SIZE",
           shown="16M"),
    Option("--guest-max-calls", "WW_GUEST_MAX_CALLS", parse_count, GUEST_MAX_CALLS,
           "a guest's calls to the host in flight (past it the host stops reading its channel)",
           "N"),
    Option("--guest-max-bytes", "WW_GUEST_MAX_BYTES", parse_size, GUEST_MAX_BYTES,
           "bytes of a guest's calls to the host in flight (the same)", "SIZE", shown="16M"),
    Option("--guest-drain-timeout", "WW_GUEST_DRAIN_TIMEOUT", parse_seconds, DRAIN_TIMEOUT,
           "seconds a guest may take none of the results the host writes it before its "
           "channel is closed", "SECONDS"),
)  # fmt: skip
_BY_NAME = {opt.name: opt for opt in OPTIONS}


def option(name: str) -> Option:
    """The option whose flag is ``--name``."""
    return _BY_NAME[name]


def add_options(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """Declare the named options' flags (every option without ``names``) on ``parser``.

    Flags default to None, so `Option.value` can tell "not given" and fall
    back to the environment.
    """
    chosen = OPTIONS if names is None else [option(name) for name in names]
    group = parser.add_argument_group("node config (flag, else environment, else default)")
    for opt in chosen:
        help_text = f"{opt.help}; env {opt.env}{opt.env_note}, default {opt.shown_default}"
        if opt.switch:
            group.add_argument(opt.flag, action="store_const", const="on", help=help_text)
            continue
        group.add_argument(
            opt.flag,
            metavar=opt.metavar,
            action="append" if opt.repeatable else "store",
            help=help_text,
        )


def markdown_table(options: Sequence[Option] = OPTIONS) -> str:
    """The options as the Markdown table docs/cli.md shows."""
    rows = ["| flag | env | default | meaning |", "| --- | --- | --- | --- |"]
    for opt in options:
        usage = f"{opt.flag} {opt.metavar}".strip()
        rows.append(f"| `{usage}` | `{opt.env}`{opt.env_note} | {opt.shown_default} | {opt.help} |")
    return "\n".join(rows) + "\n"


@dataclass
class NodeConfig:
    port: int = DEFAULT_PORT
    listen: str = DEFAULT_LISTEN
    identity: Path | None = None
    home: Path = field(default_factory=data_dir)
    limits: Limits = field(default_factory=Limits)
    ipfs_api: str | None = None
    ipfs_timeout: float = DEFAULT_IPFS_TIMEOUT
    stem: str | None = None
    rpc_url: str = DEFAULT_RPC_URL
    ws_url: str = DEFAULT_WS_URL
    confirmation_depth: int = DEFAULT_CONFIRMATIONS
    peers: tuple[str, ...] = ()  # multiaddrs ending in /p2p/<id>, dialled at boot
    bootstrap: tuple[str, ...] = ()  # DHT bootstrap peers, the same form
    mdns: bool = False
    hooks_fail_open: bool = False  # a failing policy hook allows (a debugging switch)
    layer_limits: LayerLimits = DEFAULT_LIMITS
    audit: bool = True
    audit_flush: float = DEFAULT_AUDIT_FLUSH
    audit_sign_every: int = DEFAULT_AUDIT_SIGN_EVERY
    audit_keep: int = DEFAULT_AUDIT_KEEP
    mcp: tuple[ServerSpec, ...] = ()  # local MCP servers the node runs (`--mcp`)
    conn_limits: ConnLimits = DEFAULT_CONN_LIMITS
    flow_limits: FlowLimits = DEFAULT_FLOW_LIMITS  # each /ww stream's
    guest_flow_limits: FlowLimits = GUEST_FLOW_LIMITS
    guest_drain_timeout: float = DRAIN_TIMEOUT
    compile_cache_max: int = CACHE_MAX_BYTES
    max_guests: int = MAX_GUESTS
    guest_memory_max: int = MEMORY_BUDGET

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def audit_dir(self) -> Path:
        """Where nodes keep their audit logs, one file per peer ID."""
        return self.home / "audit"

    @property
    def run_dir(self) -> Path:
        """Where running nodes materialise their image roots."""
        return self.home / "run"

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> NodeConfig:
        """Every option from ``args`` (flags a command does not declare count as not given)."""

        def value(name: str) -> Any:
            return option(name).value(args, environ)

        def given(name: str) -> bool:
            return getattr(args, option(name).dest, None) is not None or bool(
                environ.get(option(name).env)
            )

        listen, listen_port = value("listen")
        return cls(
            port=value("port") if listen_port is None or given("port") else listen_port,
            listen=listen,
            identity=value("identity"),
            home=data_dir(),
            limits=Limits(
                memory_bytes=value("guest-memory"),
                cpu_seconds=value("guest-cpu"),
                wall_seconds=value("guest-wall"),
            ),
            compile_cache_max=value("compile-cache-max"),
            max_guests=value("max-guests"),
            guest_memory_max=value("guest-memory-max"),
            ipfs_api=value("ipfs-api"),
            ipfs_timeout=value("ipfs-timeout"),
            stem=value("stem"),
            rpc_url=value("rpc-url"),
            ws_url=value("ws-url"),
            confirmation_depth=value("confirmation-depth"),
            peers=value("peer"),
            bootstrap=value("bootstrap"),
            mdns=value("mdns"),
            hooks_fail_open=value("hooks-fail-open"),
            layer_limits=LayerLimits(
                max_bytes=value("layer-max-bytes"),
                max_files=value("layer-max-files"),
                max_depth=value("layer-max-depth"),
                max_block=value("layer-max-block"),
                max_seconds=value("layer-timeout"),
            ),
            audit=value("audit"),
            audit_flush=value("audit-flush"),
            audit_sign_every=value("audit-sign-every"),
            audit_keep=value("audit-keep"),
            mcp=value("mcp"),
            conn_limits=ConnLimits(
                max_message=value("net-max-message"),
                handshake_seconds=value("net-handshake-timeout"),
                max_pending=value("net-max-pending"),
                max_pending_per_address=value("net-max-pending-per-address"),
                max_connections=value("net-max-connections"),
                max_per_peer=value("net-max-per-peer"),
                max_streams=value("net-max-streams"),
                idle_seconds=value("net-idle"),
            ),
            flow_limits=FlowLimits(
                max_calls=value("rpc-max-calls"), max_bytes=value("rpc-max-bytes")
            ),
            guest_flow_limits=FlowLimits(
                max_calls=value("guest-max-calls"), max_bytes=value("guest-max-bytes")
            ),
            guest_drain_timeout=value("guest-drain-timeout"),
        )
