"""The embedded card signer (`guanwu up`) signs for the tenants `up` serves, and for no one else."""

from __future__ import annotations

import base64
from pathlib import Path

from embedded_system import bearer, running_embedded

SIGN = "/api/card-signer/sign"
BODY = {"content_b64": base64.b64encode(b"<DecMessage/>").decode()}


async def test_the_soft_token_signs_for_the_served_tenants_only(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme", "acme-client"], with_signer=True) as (system, client):
        for tenant in ("acme", "acme-client"):
            signed = await client.post(SIGN, json=BODY, headers=bearer(system, tenant, ("preparer",)))
            assert signed.status_code == 200, signed.text
        refused = await client.post(SIGN, json=BODY, headers=bearer(system, "intruder", ("preparer",)))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "card_signer.tenant_not_served"
