"""Every pycapnp capability server the host offers; they run on the vat thread only.

`membrane` (GuestMembrane, the graft challenge), `identity` (Signer,
Identity), `host`, `executor`, `process`, `bytestream`, `ipfs`; `export`:
pid0's export as re-served to each remote peer; `remote`: the bootstrap of
`ww dial --shell`.
"""
