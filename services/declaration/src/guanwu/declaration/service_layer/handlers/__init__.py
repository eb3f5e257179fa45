"""The declaration service's handlers: `declarations` and `templates` for commands, `reactions` for the events
of other services it follows."""

SOURCE = "/guanwu/declaration"
"""The CloudEvents `source` of every event the declaration service publishes."""
