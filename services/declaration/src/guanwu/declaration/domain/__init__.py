"""The declaration's model and rules, pure (no I/O, no web framework, no store):

- `model`: the aggregate (报关单 with status, audit, findings) and its editing steps up to 提交审核;
- `lifecycle`: the steps after 提交审核 (review, 申报 and signing, the Single Window, customs receipts);
- `records`: what those steps keep (审核意见, 签名, 回执); `signing`: the bytes the card signs;
- `templates`: 单证模版; `form`: which fields a 申报地海关 shows (F-03); `from_bonded_list`: F-07;
- `errors`: the service's refusals.
"""
