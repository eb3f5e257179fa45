"""Where sync keeps its records (repositories) and how it reaches the Single Window (HTTP)."""
