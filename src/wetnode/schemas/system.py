"""system.capnp as pycapnp loads it; its types are in system.pyi (generated)."""

from wetnode.rpc.schema import attributes_of

__getattr__ = attributes_of("system")
