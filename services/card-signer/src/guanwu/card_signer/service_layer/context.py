from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.card_signer.service_layer.unit_of_work import CardSignerUnitOfWork
from guanwu.platform.clock import Clock


@dataclass(frozen=True)
class CardSignerContext:
    """What the card signer's routes and consumer are given by bootstrap: the one queue in front of the card,
    whose card it is, where answers are kept, and the clock."""

    new_uow: Callable[[], CardSignerUnitOfWork]
    clock: Clock
    queue: CardQueue
    owners: CardOwners
