"""Adapters of the Signer port: PC/SC card (pyscard) and soft token (encrypted key file)."""
