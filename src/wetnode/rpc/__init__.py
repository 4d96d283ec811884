"""Cap'n Proto plumbing for the host (pycapnp): loading the schemas (`schema`), the vat
thread every pycapnp object lives on (`vat`), and one-line wire reasons (`reasons`)."""
