"""What the declaration service does: command handlers, event handlers (reactions), the unit of work they
change things through, and the context the entrypoints hand them."""
