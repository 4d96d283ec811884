"""Tests of the stem: the Atom contract, the finalizer, the epoch pipeline."""
