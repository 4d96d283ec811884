"""The audit log: every capability call and membrane event, hash-chained and signed.

`chain` (sans-IO: event encoding, links, signed heads, verification),
`store` (the append-only SQLite file), `log` (recording from any thread, the
trio writer), `query` (what `ww audit` lists).  The membrane records through
taps (`wetnode.membrane.guarded`, `wetnode.membrane.servers.audited`).
See docs/audit.md.
"""
