"""The guest SDK's vat (`wetnode.capnproto.vat`) writes what its connection queued, to the end."""

from __future__ import annotations

import socket

import pytest

from wetnode.capnproto import RpcError, SocketTransport, Vat, wire
from wetnode.capnproto.schemas import rpc as R
from wetnode.guest.schemas import system

# One segment of one word: a root pointer far out of bounds.
GARBAGE = b"\x00\x00\x00\x00\x01\x00\x00\x00" + b"\xff" * 8


def test_a_vat_whose_connection_fails_tells_the_peer_why_before_it_stops():
    ours, peer = socket.socketpair()
    vat = Vat(SocketTransport(ours))
    peer.sendall(GARBAGE)

    async def main() -> object:
        return await system.Executor.Client(vat.bootstrap()).echo("hi")  # fails: the abort

    with pytest.raises(RpcError):
        vat.run(main())
    ours.close()
    peer.settimeout(10)
    received = b""
    while data := peer.recv(65536):
        received += data
    kinds = [R.Message.read(m).which() for m in wire.FrameDecoder().feed(received)]
    assert kinds == ["bootstrap", "call", "abort"]
    peer.close()
