"""Prometheus metrics of the card signer. No PIN, no ids in labels: outcome and reason codes only."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

from guanwu.card_signer.domain import FailureReason

SIGNATURES = Counter(
    "guanwu_card_signer_signatures_total",
    "Signature requests by outcome: signed, or the SignFailed reason code",
    ["outcome"],
)
SIGN_DURATION = Histogram(
    "guanwu_card_signer_sign_duration_seconds",
    "Time from accepting a signature request to its result, queue wait included",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CARD_PRESENT = Gauge("guanwu_card_signer_card_present", "1 when the signing card was seen in its reader")
PIN_RETRIES_LEFT = Gauge(
    "guanwu_card_signer_pin_retries_left", "PIN tries left on the card, when last known (NaN until then)"
)
# Unknown until a card says (a soft token never does): NaN, not 0, which would read as a card about to block.
PIN_RETRIES_LEFT.set(float("nan"))
ALERTS = Counter(
    "guanwu_card_signer_alerts_total",
    "Conditions that need a person (e.g. one PIN try left: guanwu refused to try)",
    ["reason"],
)

_alert_log = logging.getLogger("guanwu.card_signer.alert")


class PrometheusCardMetrics:
    """Implements CardObserver (card state, alerts), SignRecorder (outcomes, durations), RefusalRecorder.
    Every outcome and alert reason has its series from the start (0), so a rate or an alert sees the first."""

    def __init__(self) -> None:
        SIGNATURES.labels(outcome="signed")
        for reason in FailureReason:
            SIGNATURES.labels(outcome=reason.value)
            ALERTS.labels(reason=reason.value)

    def signed(self, outcome: str, seconds: float) -> None:
        SIGNATURES.labels(outcome=outcome).inc()
        SIGN_DURATION.observe(seconds)

    def refused(self, outcome: str) -> None:
        """A request refused before the card (another tenant's): counted, no duration to observe."""
        SIGNATURES.labels(outcome=outcome).inc()

    def card_seen(self, present: bool, pin_retries_left: int | None) -> None:
        CARD_PRESENT.set(1 if present else 0)
        if pin_retries_left is not None:
            PIN_RETRIES_LEFT.set(pin_retries_left)

    def alert(self, reason: FailureReason, message: str) -> None:
        ALERTS.labels(reason=reason.value).inc()
        _alert_log.warning("ALERT %s: %s", reason.value, message)
