"""Approvals: a person's signed consent before a high-stakes action.

`proposal` (sans-IO: the canonical proposal, its ID, the exact message an
approver signs, the rules a signature must pass), `store` (the SQLite file
the node and `ww approve` share), `desk` (the node side: record a proposal,
wait for its signatures).  See docs/approvals.md.
"""
