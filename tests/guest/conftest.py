"""Fixtures of the Cap'n Proto and guest SDK tests (defined in guest_peers.py)."""

from guest_peers import capnp_schema, generator, py_schema, socket_pair

__all__ = ["capnp_schema", "generator", "py_schema", "socket_pair"]
