"""A failed signature as the HTTP API answers it: the reason's code, a Chinese and an English message, the PIN
tries left, and the status the reason calls for.
"""

from __future__ import annotations

from guanwu.card_signer.domain.model import FailureReason, SignFailure
from guanwu.platform.refusal import Refusal

MESSAGES_ZH = {
    FailureReason.NO_READER: "未找到读卡器",
    FailureReason.NO_CARD: "读卡器中没有卡",
    FailureReason.CARD_REMOVED: "签名时卡被拔出",
    FailureReason.PIN_MISSING: "未配置卡口令",
    FailureReason.PIN_WRONG: "卡口令错误",
    FailureReason.PIN_LAST_TRY_REFUSED: "卡口令仅剩一次重试机会，系统不再尝试，请用卡管理工具验证口令",
    FailureReason.PIN_BLOCKED: "卡口令已锁定",
    FailureReason.TOKEN_LOCKED: "软证书无法打开",
    FailureReason.TIMEOUT: "签名超时",
    FailureReason.BUSY: "签名队列已满，请稍后再试",
    FailureReason.CARD_ERROR: "卡返回错误",
    FailureReason.BAD_REQUEST: "请求无效",
    FailureReason.TENANT_NOT_SERVED: "本签名服务的 IC 卡属于其他企业：不为贵企业签名，也不显示卡的信息",
}


# The HTTP status of each reason; any other reason (no reader, no card, a card error…) is 503.
STATUS_BY_REASON = {
    FailureReason.BAD_REQUEST: 400,
    FailureReason.BUSY: 429,
    FailureReason.TIMEOUT: 504,
    FailureReason.PIN_WRONG: 409,
    FailureReason.PIN_LAST_TRY_REFUSED: 409,
    FailureReason.PIN_BLOCKED: 409,
    FailureReason.PIN_MISSING: 503,
    FailureReason.TENANT_NOT_SERVED: 403,
}
OTHER_STATUS = 503


class SignRefused(Refusal):
    """A signature the card signer did not make, with its reason and the status that reason calls for."""

    def __init__(self, failure: SignFailure) -> None:
        super().__init__(
            f"card_signer.{failure.reason.value}",
            MESSAGES_ZH.get(failure.reason, "签名失败"),
            failure.detail or failure.reason.value,
            retries_left=failure.retries_left,
        )
        self.reason = failure.reason
        self.status = STATUS_BY_REASON.get(failure.reason, OTHER_STATUS)
