"""Cap'n Proto plumbing for the host: schemas and the pycapnp vat thread."""
