"""ipfs.capnp as pycapnp loads it; its types are in ipfs.pyi (generated)."""

from wetnode.rpc.schema import attributes_of

__getattr__ = attributes_of("ipfs")
