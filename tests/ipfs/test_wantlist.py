"""The bitswap client's rules (sans-IO `Wantlist`) and the message codec, without a network."""

from __future__ import annotations

from libp2p.bitswap.cid import get_cid_prefix
from libp2p.bitswap.messages import create_message

from wetnode.ipfs.bitswap_message import Message, Presence, Want, WantType, decode, encode
from wetnode.ipfs.cid import RAW, Cid
from wetnode.ipfs.wantlist import Wantlist

A = Cid.of_block(b"a")
B = Cid.of_block(b"b", version=1, codec=RAW)


def _kinds(sent: list[tuple[str, Want]]) -> dict[str, str]:
    return {
        peer: "CANCEL" if want.cancel else f"WANT-{want.want_type.name}" for peer, want in sent
    }


def test_a_new_want_asks_one_peer_for_the_block_and_the_others_whether_they_have_it() -> None:
    wants: Wantlist[str] = Wantlist()
    wants.set_peers(["p", "q", "r"])
    sent = wants.want(A, now=0)
    assert sorted(_kinds(sent).values()) == ["WANT-BLOCK", "WANT-HAVE", "WANT-HAVE"]
    assert all(want.send_dont_have for _, want in sent)


def test_a_have_after_the_block_peer_said_dont_have_is_followed_by_a_want_block() -> None:
    wants: Wantlist[str] = Wantlist()
    wants.set_peers(["p", "q"])
    block_peer = next(p for p, w in wants.want(A, now=0) if w.want_type == WantType.BLOCK)
    other = "q" if block_peer == "p" else "p"
    assert wants.on_presence(block_peer, A, Presence.DONT_HAVE) == []
    assert _kinds(wants.on_presence(other, A, Presence.HAVE)) == {other: "WANT-BLOCK"}


def test_a_have_that_arrives_first_moves_the_block_there_on_dont_have() -> None:
    wants: Wantlist[str] = Wantlist()
    wants.set_peers(["p", "q"])
    block_peer = next(p for p, w in wants.want(A, now=0) if w.want_type == WantType.BLOCK)
    other = "q" if block_peer == "p" else "p"
    assert wants.on_presence(other, A, Presence.HAVE) == []  # the block is already asked for
    assert _kinds(wants.on_presence(block_peer, A, Presence.DONT_HAVE)) == {other: "WANT-BLOCK"}


def test_an_unanswered_want_is_asked_again_of_another_peer_after_the_bound() -> None:
    wants: Wantlist[str] = Wantlist(resend_after=3)
    wants.set_peers(["p", "q"])
    first = next(p for p, w in wants.want(A, now=0) if w.want_type == WantType.BLOCK)
    assert wants.tick(now=2.9) == []
    again = wants.tick(now=3.0)
    assert len(again) == 2
    assert next(p for p, w in again if w.want_type == WantType.BLOCK) != first


def test_the_block_arriving_cancels_it_at_every_other_peer_asked() -> None:
    wants: Wantlist[str] = Wantlist()
    wants.set_peers(["p", "q", "r"])
    wants.want(A, now=0)
    assert _kinds(wants.on_block("p", A)) == {"q": "CANCEL", "r": "CANCEL"}
    assert A not in wants
    assert wants.on_block("q", A) == []  # a late duplicate is not wanted any more


def test_a_peer_that_connects_later_is_asked_and_one_that_leaves_hands_on_the_block() -> None:
    wants: Wantlist[str] = Wantlist()
    assert wants.want(A, now=0) == []  # nobody to ask yet
    assert _kinds(wants.set_peers(["p"])) == {"p": "WANT-BLOCK"}
    assert _kinds(wants.set_peers(["p", "q"])) == {"q": "WANT-HAVE"}
    assert _kinds(wants.set_peers(["q"])) == {"q": "WANT-BLOCK"}


def test_messages_round_trip_and_read_what_py_libp2p_writes() -> None:
    message = Message(
        wants=[Want(A, WantType.HAVE, send_dont_have=True), Want(B, cancel=True)],
        blocks=[(A, b"a"), (B, b"b")],
        presences=[(A, Presence.HAVE), (B, Presence.DONT_HAVE)],
    )
    decoded, bare = decode(encode(message))
    assert decoded == message and bare == []
    theirs = create_message(blocks_v110=[(get_cid_prefix(B.to_bytes()), b"b")])
    assert decode(theirs.SerializeToString())[0].blocks == [(B, b"b")]
    assert decode(encode(Message(blocks=[(A, b"a")]), v100=True)) == (Message(), [b"a"])


def test_a_block_whose_prefix_names_an_unsupported_hash_is_skipped() -> None:
    sha512_prefix = bytes([1, RAW, 0x13, 64])
    theirs = create_message(blocks_v110=[(sha512_prefix, b"x")])
    assert decode(theirs.SerializeToString())[0].blocks == []
