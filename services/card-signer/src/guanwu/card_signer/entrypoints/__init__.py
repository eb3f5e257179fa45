"""Entry points: the SignRequested consumer and the HTTP API."""
