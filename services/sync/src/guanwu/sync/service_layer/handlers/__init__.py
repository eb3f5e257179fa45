"""Sync's command and event handlers: 申报 (`declare`) and receipts (`receipts`)."""
