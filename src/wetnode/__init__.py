"""wetnode: a Wetware node in Python.

Only the guest SDK (`wetnode.guest`, with `wetnode.capnproto` and
`wetnode.codec` under it) is imported inside WebAssembly guests, so
this module must stay free of imports: anything here would be bundled into,
and executed by, every guest.
"""

__version__ = "0.1.0"
