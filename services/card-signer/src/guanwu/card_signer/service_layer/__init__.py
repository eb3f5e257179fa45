"""Use cases: the single-slot card queue, whose card it is, and the handlers of sign requests."""
