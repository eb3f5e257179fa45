"""The auto-registration rules through the HTTP API: the settings' rules until a tenant stores its own,
validated (codes against the kernel's CHANNEL table and the 清单状态, types against AnomalyType), changed by
managers only, one tenant's never another's."""

from __future__ import annotations

from typing import Any

import pytest
from anomaly_harness import NOW, Service
from service_http import bearer

from guanwu.anomaly.config import DEFAULT_AUTO_REGISTRATION
from guanwu.anomaly.domain.rules import rules_from_settings

RULES = "/api/anomaly/rules"
MANAGER = ("manager",)
OWN = [
    {"receipt_kind": "DEC_RESULT", "code": "Z", "anomaly_type": "删改单"},
    {"receipt_kind": "INV201", "code": "3", "anomaly_type": "其他"},
]
DEFAULTS = sorted(
    (kind, code, anomaly_type)
    for kind, codes in DEFAULT_AUTO_REGISTRATION.items()
    for code, anomaly_type in codes.items()
)


def triples(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((r["receipt_kind"], r["code"], r["anomaly_type"]) for r in answer["rules"])


async def test_a_tenant_follows_the_settings_rules_until_it_stores_its_own(service: Service) -> None:
    first = await service.client.get(RULES, headers=bearer(roles=("viewer",)))
    assert first.status_code == 200, first.text
    assert first.json()["source"] == "default" and first.json()["updated_by"] is None
    assert (
        triples(first.json())
        == DEFAULTS
        == [
            ("DEC_RESULT", "C", "查验"),
            ("DEC_RESULT", "D", "删单"),
            ("DEC_RESULT", "E", "退单"),
            ("DEC_RESULT", "S", "查验"),
            ("INV201", "2", "退单"),
            ("INV201", "3", "删单"),
        ]
    )

    stored = await service.client.put(RULES, json={"rules": OWN}, headers=bearer(roles=MANAGER))
    assert stored.status_code == 200, stored.text
    again = (await service.client.get(RULES, headers=bearer())).json()
    assert again == stored.json()
    assert (again["source"], again["updated_by"]) == ("tenant", "u1")
    assert again["updated_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert triples(again) == sorted((r["receipt_kind"], r["code"], r["anomaly_type"]) for r in OWN)
    other = (await service.client.get(RULES, headers=bearer(tenant="globex"))).json()
    assert other["source"] == "default" and triples(other) == DEFAULTS

    reset = await service.client.delete(RULES, headers=bearer(roles=("admin",)))
    assert reset.status_code == 200 and reset.json()["source"] == "default"
    assert triples((await service.client.get(RULES, headers=bearer())).json()) == DEFAULTS


INVALID = [
    ({"receipt_kind": "DEC_RESULT", "code": "U", "anomaly_type": "删单"}, "rules[1].code"),  # no such CHANNEL
    ({"receipt_kind": "DEC_RESULT", "code": "?", "anomaly_type": "删单"}, "rules[1].code"),  # "unknown"
    ({"receipt_kind": "DEC_RESULT", "code": "v", "anomaly_type": "删单"}, "rules[1].code"),  # ODOO's Z
    ({"receipt_kind": "INV201", "code": "4", "anomaly_type": "删单"}, "rules[1].code"),  # no such 清单状态
    (
        {"receipt_kind": "INV201", "code": "D", "anomaly_type": "删单"},
        "rules[1].code",
    ),  # a CHANNEL, not a 状态
    ({"receipt_kind": "DEC_RESULT", "code": "Z", "anomaly_type": "其他"}, "rules[1].code"),  # Z twice
]


@pytest.mark.parametrize(("rule", "field"), INVALID)
async def test_a_rule_the_codes_do_not_have_is_refused_naming_it(
    service: Service, rule: dict[str, str], field: str
) -> None:
    refused = await service.client.put(RULES, json={"rules": [OWN[0], rule]}, headers=bearer(roles=MANAGER))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("anomaly.invalid_rule", field)
    assert field in error["message_zh"] and field in error["message_en"]
    assert (await service.client.get(RULES, headers=bearer())).json()["source"] == "default"  # unchanged


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"receipt_kind": "DEC_RESULT", "code": "E", "anomaly_type": "改单"}, "rules[0].anomaly_type"),
        ({"receipt_kind": "INV202", "code": "1", "anomaly_type": "删单"}, "rules[0].receipt_kind"),
        ({"receipt_kind": "DEC_RESULT", "code": "", "anomaly_type": "删单"}, "rules[0].code"),
        ({"receipt_kind": "DEC_RESULT", "code": "E", "anomaly_type": "删单", "x": 1}, "rules[0].x"),
    ],
)
async def test_a_rule_the_schema_refuses_is_a_422_naming_the_field(
    service: Service, rule: dict[str, Any], field: str
) -> None:
    refused = await service.client.put(RULES, json={"rules": [rule]}, headers=bearer(roles=MANAGER))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "request.invalid" and [f["field"] for f in error["fields"]] == [field]
    assert error["message_zh"] and error["message_en"]


async def test_changing_the_rules_needs_a_manager(service: Service) -> None:
    for roles in (("preparer",), ("reviewer",), ("viewer",), ("integration",)):
        for answer in (
            await service.client.put(RULES, json={"rules": []}, headers=bearer(roles=roles)),
            await service.client.delete(RULES, headers=bearer(roles=roles)),
        ):
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.forbidden"
    assert (await service.client.get(RULES)).status_code == 401
    assert (await service.client.get(RULES, headers=bearer())).json()["source"] == "default"


def test_wrong_settings_stop_the_start() -> None:
    for setting in (
        {"DEC_RESULT": {"U": "删单"}},
        {"DEC_RESULT": {"E": "改单"}},
        {"INV202": {"1": "删单"}},
    ):
        with pytest.raises(ValueError):
            rules_from_settings(setting)
    assert rules_from_settings({}).rules == []
