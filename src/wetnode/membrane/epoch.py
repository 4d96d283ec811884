"""Epochs and the guard that makes capabilities stale (sans-IO).

The host owns one ``EpochClock``.  Every capability a graft hands out keeps an
``EpochGuard`` holding the ``seq`` it was issued under; the guard's check runs
when a call starts and fails once the clock has moved on, so a guest holding
old capabilities must graft again.  Without ``--stem`` nothing advances the
clock and ``seq`` stays 0.

Threads: the stem pipeline advances the clock from trio while capability
servers check it on the vat thread.  ``advance`` publishes a new immutable
``Epoch`` with one reference assignment, which Python makes atomic, so readers
see either the old or the new epoch, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wetnode.membrane.errors import StaleEpoch

if TYPE_CHECKING:
    from wetnode.audit.log import Tap


@dataclass(frozen=True)
class Epoch:
    """The adopted head of the Atom contract (``stem.capnp`` Epoch), numbered locally.

    ``seq`` is the node's own epoch number, the one ``EpochClock`` orders and
    guards compare; ``head_seq`` is the contract's counter for ``head``.  They
    are equal until a reorg deeper than the confirmation depth replaces the
    block a head came from: the node then moves to the head the chain holds,
    whose contract seq may be equal or lower, as a new local epoch, so that
    capabilities of the orphaned head go stale.
    """

    seq: int
    head: bytes = b""
    adopted_block: int = 0
    head_seq: int = 0

    def successor(self, head_seq: int, head: bytes, adopted_block: int) -> Epoch | None:
        """The epoch that adopts the contract's ``(head_seq, head)``; None if it is this one.

        Its number is the contract's seq where that still increases, else one
        more than this epoch's: local numbers only go up, whatever the chain did.
        """
        if (head_seq, head) == (self.head_seq, self.head):
            return None
        number = max(head_seq, self.seq + 1)
        return Epoch(seq=number, head=head, adopted_block=adopted_block, head_seq=head_seq)


GENESIS = Epoch(seq=0)


class EpochClock:
    """The node's current epoch; it only moves forward."""

    def __init__(self, initial: Epoch = GENESIS) -> None:
        self._current = initial

    @property
    def current(self) -> Epoch:
        return self._current

    def advance(self, epoch: Epoch) -> None:
        """Adopt ``epoch``; its ``seq`` must be greater than the current one."""
        if epoch.seq <= self._current.seq:
            raise ValueError(
                f"epoch seq must increase: current {self._current.seq}, offered {epoch.seq}"
            )
        self._current = epoch

    def guard(self, tap: Tap | None = None) -> EpochGuard:
        """A guard for capabilities issued now; ``tap`` records their calls."""
        return EpochGuard(self, self._current.seq, tap)


@dataclass(frozen=True)
class EpochGuard:
    """Remembers the epoch a capability was issued under, and whose it is.

    ``tap`` is the audit log's view of the guest the capability was issued to
    (None with the audit log off): the guard travels to every capability
    derived from a graft, so every call on them is recorded (`guarded`).
    """

    clock: EpochClock
    issued_seq: int
    tap: Tap | None = field(default=None, compare=False)

    def check(self) -> None:
        """Raise ``StaleEpoch`` unless the issuing epoch is still current."""
        current = self.clock.current.seq
        if current != self.issued_seq:
            raise StaleEpoch(
                f"capability issued under epoch {self.issued_seq}, "
                f"the node is at epoch {current}; graft again"
            )
