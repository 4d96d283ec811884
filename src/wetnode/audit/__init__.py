"""The audit log: every capability call and membrane event, hash-chained and signed.

`chain` (sans-IO: event encoding, links, signed heads, verification),
`store` (the append-only SQLite file), `log` (recording from any thread, the
trio writer), `query` (what `ww audit` lists).  The membrane records local
guests' calls through taps on its guards (`wetnode.membrane.guarded`); the
/ww pump records remote peers' calls from the frames (`wetnode.net.audit_tap`).
See docs/audit.md.
"""
