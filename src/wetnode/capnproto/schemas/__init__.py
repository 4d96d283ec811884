"""Generated tables for the schemas the protocol itself is written in (rpc.capnp).

Written by scripts/gen_guest_schemas.py from pycapnp's own rpc.capnp.
"""
