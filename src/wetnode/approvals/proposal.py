"""Proposals and signatures (sans-IO): the exact bytes, the ID, the rules.

A proposal is stored and hashed as canonical JSON (keys sorted, no
whitespace, ASCII): ``intent``, ``action``, ``parameters``, ``risk``,
``created`` and ``expires`` (Unix seconds), ``approvers`` (checksummed
addresses, sorted), ``threshold``, ``node`` (the peer ID that asked) and
``nonce`` (16 random bytes, hex), so two requests never share an ID.  Its
ID is ``0x`` + keccak-256 of those bytes.

An approver signs, with EIP-191 ``personal_sign``, the text `message`::

    wetnode approval
    proposal: 0x<64 hex digits>
    decision: approve

(``deny`` to deny), so any wallet can sign it and the address is recovered
from the signature.  A signature counts once per approver and proposal;
it is refused after the proposal expired, was approved and used, or was
denied, or withdrawn (the call that asked went away), and when the address
is not one of the proposal's approvers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from wetnode.approvals.errors import SignatureRefused
from wetnode.keys import keccak256

# eth_account and eth_utils are imported by the functions that use them: they cost
# every node ~1 s of start-up and ~18 MB of RSS (pydantic, py_ecc), and only a node
# whose guest asks for an approval, or `ww approve`, needs them.

RISKS = ("low", "medium", "high", "critical")
DEFAULT_TTL = 900  # seconds: the design's 15 minutes
DECISIONS = ("approve", "deny")


@dataclass(frozen=True)
class Proposal:
    intent: str
    action: str
    parameters: str
    risk: str
    created: int
    expires: int
    approvers: tuple[str, ...]
    threshold: int
    node: str
    nonce: str

    @classmethod
    def new(
        cls, *, intent: str, action: str, parameters: str, risk: str, ttl: int,
        approvers: Sequence[str], threshold: int, node: str, now: float,
    ) -> Proposal:  # fmt: skip
        """A checked proposal created at ``now``; ``ValueError`` names what is wrong."""
        from eth_utils import is_address, to_checksum_address

        if risk not in RISKS:
            raise ValueError(f"risk {risk!r} is not one of {', '.join(RISKS)}")
        bad = [a for a in approvers if not is_address(a)]
        if bad:
            raise ValueError(f"approver {bad[0]!r} is not an Ethereum address (0x + 40 hex)")
        unique = tuple(sorted({to_checksum_address(a) for a in approvers}))
        if not 1 <= threshold <= len(unique):
            raise ValueError(
                f"threshold {threshold} must be between 1 and the {len(unique)} distinct approvers"
            )
        try:
            json.loads(parameters or "null")
        except ValueError:
            raise ValueError("parameters must be JSON text") from None
        created = int(now)
        return cls(
            intent, action, parameters, risk, created, created + (ttl or DEFAULT_TTL),
            unique, threshold, node, secrets.token_hex(16),
        )  # fmt: skip

    def encode(self) -> bytes:
        fields = asdict(self)
        fields["approvers"] = list(self.approvers)
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

    @classmethod
    def decode(cls, body: bytes) -> Proposal:
        fields = json.loads(body)
        fields["approvers"] = tuple(fields["approvers"])
        return cls(**fields)

    @property
    def id(self) -> str:
        return "0x" + keccak256(self.encode()).hex()


def message(proposal_id: str, decision: str) -> str:
    """The exact text an approver signs with ``personal_sign``."""
    return f"wetnode approval\nproposal: {proposal_id}\ndecision: {decision}"


def sign(proposal_id: str, decision: str, secret: bytes) -> bytes:
    """A 65-byte ``personal_sign`` signature of `message` with key ``secret``."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    signed = Account.sign_message(encode_defunct(text=message(proposal_id, decision)), secret)
    return bytes(signed.signature)


@dataclass(frozen=True)
class Signature:
    address: str
    decision: str
    signature: bytes


def check(
    proposal: Proposal,
    status: str,
    decision: str,
    signature: bytes,
    earlier: Iterable[Signature],
    now: float,
) -> Signature:
    """The signature if it counts for ``proposal`` in ``status``; else `SignatureRefused`."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    pid = proposal.id
    if decision not in DECISIONS:
        raise SignatureRefused(f"decision {decision!r} is neither approve nor deny")
    if status == "approved":
        raise SignatureRefused(
            f"proposal {pid} was already approved and used: approvals are single-use"
        )
    if status in ("denied", "expired", "withdrawn"):
        raise SignatureRefused(f"proposal {pid} was {status}: it takes no more signatures")
    if now >= proposal.expires:
        raise SignatureRefused(f"proposal {pid} expired: it takes no more signatures")
    try:
        address = Account.recover_message(
            encode_defunct(text=message(pid, decision)), signature=signature
        )
    except Exception:  # eth_account raises several kinds for a malformed signature
        raise SignatureRefused(
            "not a personal_sign signature (65 bytes r || s || v, hex) of this proposal"
        ) from None
    if address not in proposal.approvers:
        raise SignatureRefused(
            f"{address} is not an approver of proposal {pid} (the signature recovers to it; "
            f"approvers: {', '.join(proposal.approvers)})"
        )
    if any(s.address == address for s in earlier):
        raise SignatureRefused(f"{address} already signed proposal {pid}: a signature counts once")
    return Signature(address, decision, signature)


def outcome(proposal: Proposal, signatures: Sequence[Signature]) -> str:
    """``approved``, ``denied`` or ``pending`` for the signatures that counted."""
    if any(s.decision == "deny" for s in signatures):
        return "denied"
    approvals = {s.address for s in signatures if s.decision == "approve"}
    return "approved" if len(approvals) >= proposal.threshold else "pending"
