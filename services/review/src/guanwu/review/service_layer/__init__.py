"""Use cases of the review service: the unit of work, the handlers, and what the entrypoints are given."""
