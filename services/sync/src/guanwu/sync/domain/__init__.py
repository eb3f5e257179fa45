"""Sync's model (no I/O): the 申报 record and its steps, the signed message, receipts and their cursor, what
sync announces, and the port to the Single Window."""
