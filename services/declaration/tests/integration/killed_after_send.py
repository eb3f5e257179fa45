"""The declaration service as `guanwu serve declaration` runs it, except that it is SIGKILLed right after it has
carried out the ReviewSendRequested whose send id is $KILL_AFTER_SEND_ID (a fresh consumer group reads the topic
from its beginning: other sends come first): the 申报 and the send's record are stored, the message's offset is
not committed (the consumer commits only after the handler returned). For test_review_send_killed.py."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from guanwu.cli.main import app
from guanwu.declaration.service_layer.handlers import sending

_carry_out = sending.carry_out_send


_DOOMED_SEND = os.environ["KILL_AFTER_SEND_ID"]


async def _carried_out_then_killed(envelope: Any, event: Any, **kwargs: Any) -> Any:
    outcome = await _carry_out(envelope, event, **kwargs)
    if event.send_id == _DOOMED_SEND:
        os.kill(os.getpid(), signal.SIGKILL)
    return outcome


# entrypoints/consumers.py binds `sending.carry_out_send` when bootstrap builds the subscriptions, after this.
sending.carry_out_send = _carried_out_then_killed

if __name__ == "__main__":
    sys.argv = ["guanwu", "serve", "declaration"]
    app()
