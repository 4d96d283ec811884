"""The node's network: a libp2p swarm, the exported capability served per stream, dialing.

See docs/network.md for the protocol ids and the pycapnp/trio bridge.
"""
