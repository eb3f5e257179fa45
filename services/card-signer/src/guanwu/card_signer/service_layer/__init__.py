"""Use cases: the single-slot card queue and the SignRequested handler."""
