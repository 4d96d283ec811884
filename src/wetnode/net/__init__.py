"""The node's network: a libp2p swarm, the exported capability served per stream, dialing.

- `swarm`: TCP + Noise + yamux on trio; `network`: the swarm as the
  membrane's `Network` (what pid0's `host` reaches).
- `protocol`: pid0's export served on `/ww/0.1.0`, one RPC connection per
  stream; `pump` and `framing`: the bytes between a stream and the vat.
- `dial`: parse a peer address, open a remote export.

See docs/network.md for the protocol ids and the pycapnp/trio bridge.
"""
