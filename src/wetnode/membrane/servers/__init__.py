"""pycapnp capability servers; they run on the vat thread only."""
