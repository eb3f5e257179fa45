"""What the query service consumes: every declaration event, a poll's worth at a time."""

from __future__ import annotations

from functools import partial

from guanwu.contracts import topics
from guanwu.contracts.events import REGISTRY, DeclarationSummary
from guanwu.platform.bus.port import Subscription
from guanwu.query.service_layer.context import QueryContext
from guanwu.query.service_layer.handlers import project_declaration_events

GROUP = "query.declarations"


def subscriptions(context: QueryContext) -> list[Subscription]:
    # Every declaration event carries the summary; the projection follows all of them.
    project = partial(project_declaration_events, read_model=context.read_model)
    handlers = {cls.event_type: project for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)}
    return [Subscription(GROUP, topics.DECLARATION_EVENTS, batch_handlers=handlers)]
