"""Event bus port and adapters (in-process for the embedded default, Kafka when distributed)."""

from guanwu.platform.bus.port import EventBus, EventHandler, EventPublisher, Subscription

__all__ = ["EventBus", "EventHandler", "EventPublisher", "Subscription"]
