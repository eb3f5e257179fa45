"""The query service's read models, pure: what an event makes of a row (no I/O).

- `declarations`: the declaration list (报关数据查询), fed by the declaration service's summaries.
- `bonded_lists`: the 核注清单 read model, fed by sync's BondedListSynced and BondedListReceiptReceived.
"""
