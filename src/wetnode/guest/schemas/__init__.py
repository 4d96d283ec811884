"""wetnode's own schemas for guests: `stem`, `system` and `ipfs`, as typed classes.

Written by scripts/gen_guest_schemas.py from capnp/*.capnp; import them as
`from wetnode.guest.schemas import stem, system` (or `ww.stem` after
`import wetnode.guest as ww`).
"""
