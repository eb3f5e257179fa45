"""The read models' own store adapters (no unit of work: the query service publishes nothing, and every write
carries its own guard)."""
