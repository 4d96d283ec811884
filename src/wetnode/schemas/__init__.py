"""The node's Cap'n Proto schemas: the `.capnp` files and typed modules over them.

`capnp/system.capnp`, `stem.capnp` and `ipfs.capnp` ship in the package; the
repository's top-level `capnp/` links to that directory, which has no
`__init__.py`, so from the checkout's root it cannot shadow pycapnp's `capnp`.

`wetnode.schemas.system` (and `stem`, `ipfs`) are those schemas as pycapnp
loads them (`wetnode.rpc.schema`), with generated `.pyi` stubs that tell a
type checker `system.Executor.Server` and its methods.  Import them as
modules (`from wetnode.schemas import system`) so that classes deriving from
their `Server` bases are checked.
"""
