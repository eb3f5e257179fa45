"""Identifiers. A service names what an id is for (`new_declaration_id = ids.new_id`), so a reader sees which
id a line makes; ids a redelivery must reproduce come from `deterministic_id` instead."""

from __future__ import annotations

import uuid

from guanwu.platform.idempotency import deterministic_id


def new_id() -> str:
    """A fresh random id (UUID 4 text), the form every aggregate id and event id has."""
    return str(uuid.uuid4())


__all__ = ["deterministic_id", "new_id"]
