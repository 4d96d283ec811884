"""Fixtures of the guest SDK tests (defined in guest_peers.py)."""

from guest_peers import capnp_schema, generator, py_schema, socket_pair

__all__ = ["capnp_schema", "generator", "py_schema", "socket_pair"]
