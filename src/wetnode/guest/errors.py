"""Refusals a guest's Membrane server gives, each owning the stable word of its reason."""

from __future__ import annotations

from wetnode.capnproto import Refusal


class GraftRefused(Refusal):
    """A graft was refused: the signer could not prove the peer's key."""

    word = "graftRefused"
