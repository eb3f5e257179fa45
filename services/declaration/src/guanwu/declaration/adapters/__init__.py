"""Where the declaration service keeps things: one repository per collection (declarations, templates, parked
receipts, synced 核注清单), used through the service's unit of work."""
