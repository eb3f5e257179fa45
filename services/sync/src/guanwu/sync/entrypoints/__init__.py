"""How sync is driven: its HTTP API, the events it consumes, and its background loops."""
