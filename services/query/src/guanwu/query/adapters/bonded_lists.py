"""The 核注清单 read model in the document store: the projection's own store adapter.

Every write is a merge whose result does not depend on what it is merged into first (see
`guanwu.query.domain.bonded_lists`), guarded by the row's `_version`: a write that meets a concurrent one is
merged again into what that one stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from typing import Any

from guanwu.platform.refusal import NotFound, Noun
from guanwu.platform.store.port import (
    VERSION_FIELD,
    Collection,
    ConcurrencyConflict,
    Document,
    DocumentStore,
    DuplicateKeyError,
)
from guanwu.query.domain.bonded_lists import (
    FILTERABLE,
    BondedListDetail,
    BondedListRow,
    BondedListSearch,
    Change,
    RowKey,
    detail_of,
    merged_row,
    row_of,
    utc_text,
)

_ATTEMPTS = 20


@dataclass
class _Group:
    """The changes of one batch that go to one row."""

    key: RowKey
    changes: list[Change] = field(default_factory=list)


class BondedListReadModel:
    collection_name = "query_bonded_lists"
    noun = Noun("query", "核注清单", "bonded list")

    def __init__(self, store: DocumentStore) -> None:
        self.collection: Collection = store.collection(self.collection_name)

    async def ensure_indexes(self) -> None:
        # The list is always the tenant's, latest 最近操作时间 first: every filter's index ends with that sort.
        await self.collection.ensure_index([("tenant", 1), ("sw_updated_at", -1)])
        await self.collection.ensure_index([("tenant", 1), ("bond_invt_no", 1)])
        await self.collection.ensure_index([("tenant", 1), ("seq_no", 1)])
        for column in ("list_stat", "ie_flag", "data_source", "trade_name"):
            await self.collection.ensure_index([("tenant", 1), (column, 1), ("sw_updated_at", -1)])

    # ---------------------------------------------------------------------------------------------- writing

    async def apply(self, changes: Sequence[Change]) -> int:
        """Merge a batch of changes into their rows in a few store calls; returns how many rows changed."""
        groups = await self._grouped(changes)
        stored = {doc["_id"]: doc for doc in await self.collection.get_many(list(groups))}
        rows = {doc_id: merged_row(g.key, stored.get(doc_id), g.changes) for doc_id, g in groups.items()}
        absorbed = await self._placeholders_of(rows, exclude=groups)
        for doc_id, placeholder in absorbed.items():
            group = groups[doc_id]
            rows[doc_id] = merged_row(group.key, stored.get(doc_id), group.changes, absorbed=[placeholder])

        changed, retry = await self._write_batch(stored, rows)
        for doc_id, placeholder in absorbed.items():
            if doc_id not in retry and not await self._delete(placeholder):
                retry.append(doc_id)
        for doc_id in dict.fromkeys(retry):
            if await self._apply_alone(groups[doc_id]):
                changed.add(doc_id)
        return len(changed)

    async def _grouped(self, changes: Sequence[Change]) -> dict[str, _Group]:
        """The changes by the row they go to. A receipt naming only a 清单编号 goes to the row of the list with
        that number (in this batch or stored), else to the number's placeholder row."""
        seq_of: dict[tuple[str, str], str] = {
            (c.tenant, c.bond_invt_no): c.seq_no for c in changes if c.seq_no and c.bond_invt_no
        }
        unknown = {(c.tenant, c.bond_invt_no) for c in changes if not c.seq_no and c.bond_invt_no}
        seq_of.update(await self._seq_nos_of(unknown - seq_of.keys()))
        groups: dict[str, _Group] = {}
        for change in changes:
            seq_no = change.seq_no or seq_of.get((change.tenant, change.bond_invt_no or ""))
            key = RowKey(change.tenant, seq_no=seq_no, bond_invt_no=None if seq_no else change.bond_invt_no)
            groups.setdefault(key.doc_id, _Group(key)).changes.append(change)
        return groups

    async def _seq_nos_of(self, numbers: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The 统一编号 of the stored lists with these (tenant, 清单编号)."""
        by_tenant: dict[str, list[str]] = defaultdict(list)
        for tenant, bond_invt_no in numbers:
            by_tenant[tenant].append(bond_invt_no)
        found: dict[tuple[str, str], str] = {}
        for tenant, invt_nos in by_tenant.items():
            query = {"tenant": tenant, "bond_invt_no": {"$in": sorted(invt_nos)}, "seq_no": {"$ne": None}}
            for doc in await self.collection.find(query):
                found[(tenant, doc["bond_invt_no"])] = doc["seq_no"]
        return found

    async def _placeholders_of(
        self, rows: dict[str, Document], *, exclude: Container[str]
    ) -> dict[str, Document]:
        """The placeholder rows (by 清单编号) that lists' rows now knowing that number absorb, by list row id."""
        wanted = {
            RowKey(row["tenant"], bond_invt_no=row["bond_invt_no"]).doc_id: doc_id
            for doc_id, row in rows.items()
            if row["seq_no"] and row["bond_invt_no"]
        }
        wanted = {pid: doc_id for pid, doc_id in wanted.items() if pid not in exclude}
        if not wanted:
            return {}
        return {wanted[doc["_id"]]: doc for doc in await self.collection.get_many(list(wanted))}

    async def _write_batch(
        self, stored: dict[str, Document], rows: dict[str, Document]
    ) -> tuple[set[str], list[str]]:
        """Insert the new rows at once and replace the changed ones; returns the rows written and those that
        met a concurrent writer."""
        fresh = [doc_id for doc_id in rows if doc_id not in stored]
        inserted = await self.collection.insert_many([rows[doc_id] for doc_id in fresh])
        changed = {doc_id for doc_id, ok in zip(fresh, inserted, strict=True) if ok}
        retry = [doc_id for doc_id, ok in zip(fresh, inserted, strict=True) if not ok]
        for doc_id, current in stored.items():
            if _unchanged(current, rows[doc_id]):
                continue
            try:
                await self.collection.replace(rows[doc_id], expected_version=int(current[VERSION_FIELD]))
                changed.add(doc_id)
            except ConcurrencyConflict:
                retry.append(doc_id)
        return changed, retry

    async def _apply_alone(self, group: _Group) -> bool:
        """One row's changes, read and merged again until the write meets no concurrent one."""
        changed = False
        for _ in range(_ATTEMPTS):
            stored = await self.collection.get(group.key.doc_id)
            row = merged_row(group.key, stored, group.changes)
            placeholder = (await self._placeholders_of({group.key.doc_id: row}, exclude=())).get(
                group.key.doc_id
            )
            if placeholder is not None:
                row = merged_row(group.key, stored, group.changes, absorbed=[placeholder])
            try:
                if stored is None:
                    await self.collection.insert(row)
                    changed = True
                elif not _unchanged(stored, row):
                    await self.collection.replace(row, expected_version=int(stored[VERSION_FIELD]))
                    changed = True
            except (DuplicateKeyError, ConcurrencyConflict):
                continue
            if placeholder is None or await self._delete(placeholder):
                return changed
        raise ConcurrencyConflict(self.collection_name, group.key.doc_id, -1)

    async def _delete(self, placeholder: Document) -> bool:
        """Delete an absorbed placeholder unless it changed since it was read (then False: absorb again)."""
        try:
            await self.collection.delete(placeholder["_id"], expected_version=int(placeholder[VERSION_FIELD]))
        except ConcurrencyConflict:
            return False
        return True

    # ---------------------------------------------------------------------------------------------- reading

    async def search(
        self, tenant: str, criteria: BondedListSearch, *, skip: int, limit: int
    ) -> tuple[int, list[BondedListRow]]:
        """One page of the tenant's lists matching `criteria`, latest 最近操作时间 first (not synced yet: last)."""
        query = _filter(tenant, criteria)
        total = await self.collection.count(query)
        docs = await self.collection.find(
            query, sort=[("sw_updated_at", -1), ("_id", -1)], skip=skip, limit=limit
        )
        return total, [row_of(doc) for doc in docs]

    async def load(self, tenant: str, number: str) -> BondedListDetail:
        """The list with this 清单编号 (QD…) or 统一编号, or NotFound."""
        doc: Document | None = None
        if number.startswith("QD"):
            # The list's own row before a placeholder (which has no 统一编号: last in descending order).
            found = await self.collection.find(
                {"tenant": tenant, "bond_invt_no": number}, sort=[("seq_no", -1)], limit=1
            )
            doc = found[0] if found else None
        if doc is None:
            doc = await self.collection.get(RowKey(tenant, seq_no=number).doc_id)
        if doc is None:
            raise NotFound(self.noun)
        return detail_of(doc)


def _unchanged(stored: Document, row: Document) -> bool:
    return {k: v for k, v in stored.items() if k != VERSION_FIELD} == row


def _filter(tenant: str, criteria: BondedListSearch) -> dict[str, Any]:
    query: dict[str, Any] = {"tenant": tenant}
    query.update(
        {name: getattr(criteria, name) for name in FILTERABLE if getattr(criteria, name) is not None}
    )
    window = {
        op: utc_text(moment)
        for op, moment in (("$gte", criteria.updated_from), ("$lt", criteria.updated_to))
        if moment is not None
    }
    if window:
        query["sw_updated_at"] = window
    return query
