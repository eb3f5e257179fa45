"""Entry points of the review service: the HTTP API and the consumed events."""
