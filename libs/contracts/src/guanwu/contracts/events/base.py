"""Base class of every event payload and the registry from envelope `type` to payload model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """An event payload: a past-tense fact. Subclasses declare where they travel and under which type.

    `extra="ignore"` lets a consumer read a newer producer's payload that added optional fields.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    owner: ClassVar[str]

    def aggregate_id(self) -> str:
        """The envelope subject / Kafka key. Each event names the field that identifies its aggregate."""
        raise NotImplementedError


class EventRegistry:
    """Maps `type` strings to payload classes so a consumer can validate what it receives."""

    def __init__(self) -> None:
        self._by_type: dict[str, type[Event]] = {}

    def register(self, event_class: type[Event]) -> type[Event]:
        existing = self._by_type.get(event_class.event_type)
        if existing is not None and existing is not event_class:
            raise ValueError(f"event type {event_class.event_type} registered twice")
        self._by_type[event_class.event_type] = event_class
        return event_class

    def get(self, event_type: str) -> type[Event] | None:
        return self._by_type.get(event_type)

    def all(self) -> list[type[Event]]:
        return sorted(self._by_type.values(), key=lambda cls: cls.event_type)


REGISTRY = EventRegistry()


def event_type_name(owner: str, name: str, major: int = 1) -> str:
    return f"guanwu.{owner}.{name}.v{major}"
