"""Where the declaration service keeps things: one repository per collection (declarations, templates, parked
receipts), used through the service's unit of work."""
