"""Proposals and the rules a signature must pass (sans-IO)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from wetnode.approvals.errors import SignatureRefused
from wetnode.approvals.proposal import Proposal, Signature, check, message, outcome, sign

ALICE, BOB, MALLORY = (Account.create() for _ in range(3))
NOW = 1_800_000_000.0


def _proposal(ttl: int = 60, threshold: int = 2) -> Proposal:
    return Proposal.new(
        intent="pay the invoice", action="executor.runBytes", parameters='{"amount": 5}',
        risk="high", ttl=ttl, approvers=[BOB.address.lower(), ALICE.address], threshold=threshold,
        node="16Uiu2...", now=NOW,
    )  # fmt: skip


def test_the_id_is_the_keccak_of_the_canonical_encoding_and_each_request_is_unique():
    proposal = _proposal()
    assert proposal.id == "0x" + keccak(proposal.encode()).hex()
    assert Proposal.decode(proposal.encode()) == proposal
    assert proposal.encode().startswith(b'{"action":"executor.runBytes","approvers":["0x')  # sorted
    assert proposal.approvers == tuple(sorted((ALICE.address, BOB.address)))  # checksummed
    assert _proposal().id != proposal.id  # a fresh nonce


def test_the_signed_text_is_exactly_the_documented_one():
    assert message("0xabc", "approve") == "wetnode approval\nproposal: 0xabc\ndecision: approve"


def test_a_wallets_personal_sign_counts_as_its_address():
    proposal = _proposal()
    wallet = Account.sign_message(encode_defunct(text=message(proposal.id, "approve")), BOB.key)
    counted = check(proposal, "pending", "approve", bytes(wallet.signature), [], NOW)
    assert counted.address == BOB.address


@pytest.mark.parametrize(
    ("signer", "status", "earlier", "at", "reason"),
    [
        (MALLORY, "pending", [], NOW, "is not an approver of proposal"),
        (ALICE, "pending", ["alice"], NOW, "already signed proposal"),
        (ALICE, "pending", [], NOW + 60, "expired: it takes no more signatures"),
        (ALICE, "approved", [], NOW, "already approved and used: approvals are single-use"),
        (ALICE, "denied", [], NOW, "was denied"),
        (ALICE, "withdrawn", [], NOW, "was withdrawn: it takes no more signatures"),
    ],
)
def test_signatures_that_do_not_count_are_refused_with_the_reason(
    signer, status, earlier, at, reason
):
    proposal = _proposal()
    before = [Signature(ALICE.address, "approve", b"")] if earlier else []
    signature = sign(proposal.id, "approve", bytes(signer.key))
    with pytest.raises(SignatureRefused, match=reason):
        check(proposal, status, "approve", signature, before, at)


def test_a_signature_for_another_proposal_recovers_to_another_address():
    one, other = _proposal(), _proposal()
    signature = sign(other.id, "approve", bytes(ALICE.key))
    with pytest.raises(SignatureRefused, match="is not an approver"):
        check(one, "pending", "approve", signature, [], NOW)


def test_k_distinct_approvals_approve_and_one_denial_denies():
    proposal = _proposal()
    alice, bob = (Signature(a.address, "approve", b"") for a in (ALICE, BOB))
    assert outcome(proposal, [alice]) == "pending"
    assert outcome(proposal, [alice, bob]) == "approved"
    assert outcome(proposal, [alice, Signature(BOB.address, "deny", b"")]) == "denied"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"risk": "extreme"}, "risk 'extreme' is not one of"),
        ({"approvers": ["0x1234"]}, "is not an Ethereum address"),
        ({"threshold": 3}, "threshold 3 must be between 1 and the 2 distinct approvers"),
        ({"parameters": "{not json"}, "parameters must be JSON text"),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field(change, reason):
    fields = dict(
        intent="i", action="a", parameters="{}", risk="low", ttl=60,
        approvers=[ALICE.address, BOB.address], threshold=2, node="n", now=NOW,
    )  # fmt: skip
    with pytest.raises(ValueError, match=reason):
        Proposal.new(**{**fields, **change})
