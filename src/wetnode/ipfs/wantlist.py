"""Who we asked for which block, and what to send next: bitswap's client side, sans-IO.

No streams and no clock of its own: the network layer reports what happened
(a peer came or went, a HAVE / DONT_HAVE / block arrived, time passed) and
sends the wants each call returns.  The rules are bitswap 1.2.0's, as Kubo
and Helia expect them:

- a new want goes as WANT-BLOCK to one peer (the one with the fewest blocks
  owed to us) and as WANT-HAVE to the others, all with send-dont-have;
- a HAVE from a peer when nobody owes us the block is answered with a
  WANT-BLOCK to that peer (a HAVE is never left without a follow-up);
- a DONT_HAVE from the peer asked for the block moves the WANT-BLOCK to a
  peer that said HAVE, if any;
- a want nobody answered within ``resend_after`` seconds is asked again of
  every peer (the peer we ask for the block rotates);
- when the block arrives, every other peer we asked gets a CANCEL.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from wetnode.ipfs.bitswap_message import Presence, Want, WantType
from wetnode.ipfs.cid import Cid

P = TypeVar("P", bound=Hashable)

RESEND_AFTER = 3.0


@dataclass
class _Pending(Generic[P]):
    asked_at: float
    block_peer: P | None = None
    asked: set[P] = field(default_factory=set)
    havers: list[P] = field(default_factory=list)
    tried: set[P] = field(default_factory=set)  # asked for the block this round


class Wantlist(Generic[P]):
    """Pending wants and the peers they concern; every method returns what to send."""

    def __init__(self, resend_after: float = RESEND_AFTER) -> None:
        self.resend_after = resend_after
        self._peers: list[P] = []
        self._pending: dict[Cid, _Pending[P]] = {}

    def __contains__(self, cid: Cid) -> bool:
        return cid in self._pending

    def __len__(self) -> int:
        return len(self._pending)

    def wanted(self) -> list[Cid]:
        return list(self._pending)

    def set_peers(self, peers: Iterable[P]) -> list[tuple[P, Want]]:
        """The connected bitswap peers now: new ones are asked for what is pending."""
        peers = list(peers)
        out: list[tuple[P, Want]] = []
        for gone in [peer for peer in self._peers if peer not in peers]:
            out += self._remove_peer(gone)
        for new in [peer for peer in peers if peer not in self._peers]:
            self._peers.append(new)
            for cid, pending in self._pending.items():
                out.append(self._ask(cid, pending, new))
        return out

    def want(self, cid: Cid, now: float) -> list[tuple[P, Want]]:
        if cid in self._pending:
            return []
        pending: _Pending[P] = _Pending(now)
        self._pending[cid] = pending
        return [self._ask(cid, pending, peer) for peer in self._by_load()]

    def drop(self, cid: Cid) -> list[tuple[P, Want]]:
        """Nobody waits for ``cid`` any more: cancel it wherever it was asked."""
        pending = self._pending.pop(cid, None)
        return [] if pending is None else _cancels(cid, pending.asked)

    def on_presence(self, peer: P, cid: Cid, presence: Presence) -> list[tuple[P, Want]]:
        pending = self._pending.get(cid)
        if pending is None:
            return []
        if presence == Presence.HAVE:
            if peer not in pending.havers:
                pending.havers.append(peer)
            if pending.block_peer is None:
                return [self._ask_block(cid, pending, peer)]
            return []
        if peer in pending.havers:
            pending.havers.remove(peer)
        if pending.block_peer == peer:
            pending.block_peer = None
            pending.tried.add(peer)
            untried = [haver for haver in pending.havers if haver not in pending.tried]
            if untried:
                return [self._ask_block(cid, pending, untried[0])]
        return []

    def on_block(self, peer: P, cid: Cid) -> list[tuple[P, Want]]:
        """The block arrived from ``peer`` (the caller checked it was wanted): the cancels."""
        pending = self._pending.pop(cid, None)
        if pending is None:
            return []
        return _cancels(cid, pending.asked - {peer})

    def tick(self, now: float) -> list[tuple[P, Want]]:
        """Ask again for each want nobody answered within ``resend_after``."""
        out: list[tuple[P, Want]] = []
        for cid, pending in self._pending.items():
            if now - pending.asked_at < self.resend_after or not self._peers:
                continue
            previous = pending.block_peer
            pending.asked_at = now
            pending.block_peer = None
            pending.tried.clear()
            order = self._by_load()
            if previous in order and len(order) > 1:  # rotate: another peer's turn
                order.remove(previous)
                order.append(previous)
            havers_first = [haver for haver in pending.havers if haver in order] + order
            out += [self._ask(cid, pending, peer) for peer in dict.fromkeys(havers_first)]
        return out

    def _ask(self, cid: Cid, pending: _Pending[P], peer: P) -> tuple[P, Want]:
        if pending.block_peer is None:
            return self._ask_block(cid, pending, peer)
        pending.asked.add(peer)
        return peer, Want(cid, WantType.HAVE, send_dont_have=True)

    def _ask_block(self, cid: Cid, pending: _Pending[P], peer: P) -> tuple[P, Want]:
        pending.block_peer = peer
        pending.tried.add(peer)
        pending.asked.add(peer)
        return peer, Want(cid, WantType.BLOCK, send_dont_have=True)

    def _by_load(self) -> list[P]:
        """Peers, the one owing us the fewest blocks first."""
        owed = {peer: 0 for peer in self._peers}
        for pending in self._pending.values():
            if pending.block_peer in owed:
                owed[pending.block_peer] += 1
        return sorted(self._peers, key=lambda peer: owed[peer])

    def _remove_peer(self, gone: P) -> list[tuple[P, Want]]:
        self._peers.remove(gone)
        out: list[tuple[P, Want]] = []
        for cid, pending in self._pending.items():
            pending.asked.discard(gone)
            if gone in pending.havers:
                pending.havers.remove(gone)
            if pending.block_peer == gone:
                pending.block_peer = None
                candidates = pending.havers or self._by_load()
                if candidates:
                    out.append(self._ask_block(cid, pending, candidates[0]))
        return out


def _cancels(cid: Cid, peers: Iterable[P]) -> list[tuple[P, Want]]:
    return [(peer, Want(cid, cancel=True)) for peer in peers]
