"""Sync's use cases: keeping the halves of a 申报 and sending it, reading receipts, and the queries the API
answers."""
