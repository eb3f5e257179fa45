"""Seeded data sets: every declaration passes the logic checks, numbers are unique and lead back to their
record, the same seed gives the same records, and the documents travel through their messages unchanged."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from guanwu.customs.codes import Table, load_default_tables
from guanwu.customs.fixtures.datasets import BROKERS, TRADERS, DataSet
from guanwu.customs.identifiers import validate_bond_invt_no, validate_entry_id, validate_seq_no
from guanwu.customs.messages import build_dec_message, parse_dec_message
from guanwu.customs.messages.inv101 import EnvelopInfo, Inv101Message, build_inv101, parse_inv101
from guanwu.customs.rules import Level, blocking, check

pytestmark = pytest.mark.unit

START = datetime(2026, 3, 1, tzinfo=UTC)


def data_set(seed: int = 7, **counts: int) -> DataSet:
    return DataSet(seed=seed, start=START, days=30, **({"declarations": 5000, "bonded_lists": 2000} | counts))


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_a_sample_of_every_template_passes_the_declare_checks_and_its_message_round_trips(seed: int) -> None:
    data = data_set(seed)
    sample = range(0, data.declarations, 37)  # 136 records: every template, role and status
    templates = Counter()
    for index in sample:
        facts = data.declaration_facts(index)
        document = data.declaration(index)
        templates[facts.template] += 1
        errors = blocking(check(document, Level.DECLARE, today=data.day(facts.declared)))
        assert errors == [], (index, facts.template, [(f.rule_code, f.message_en) for f in errors])
        assert parse_dec_message(build_dec_message(document)) == document
    assert set(templates) == set(range(8))


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    one, again, other = data_set(7), data_set(7), data_set(8)
    for index in (0, 1, 999, 4999):
        assert one.declaration_facts(index) == again.declaration_facts(index)
        assert one.declaration(index) == again.declaration(index)
        assert one.bonded_list(index) == again.bonded_list(index)
    assert {one.declaration_facts(i).seq_no for i in range(100)}.isdisjoint(
        {other.declaration_facts(i).seq_no for i in range(100)}
    )


def test_a_record_does_not_depend_on_the_size_of_its_data_set() -> None:
    assert data_set(declarations=10).declaration(5) == data_set(declarations=100_000).declaration(5)


def test_numbers_are_valid_unique_and_lead_back_to_their_record() -> None:
    data = data_set(declarations=20_000, bonded_lists=20_000)
    districts = load_default_tables()[Table.CUSTOMS_DISTRICT]
    declarations = [data.declaration_facts(i) for i in range(data.declarations)]
    lists = [data.bonded_list_facts(i) for i in range(data.bonded_lists)]
    for numbers in (
        [f.seq_no for f in declarations],
        [f.entry_id for f in declarations if f.entry_id],
        [f.client_seq_no for f in declarations if f.client_seq_no],
        [f.seq_no for f in lists],
        [f.bond_invt_no for f in lists if f.bond_invt_no],
    ):
        assert len(set(numbers)) == len(numbers) > 1000
    for facts in declarations[:500]:
        assert validate_seq_no(facts.seq_no).ok
        assert facts.entry_id is None or validate_entry_id(facts.entry_id, districts, facts.ie_flag).ok
        assert facts.client_seq_no is None or not facts.client_seq_no.startswith("GW")  # not guanwu's own
        assert data.find_declaration(facts.seq_no) == facts.nth
    for listed in lists[:500]:
        assert listed.bond_invt_no is None or validate_bond_invt_no(listed.bond_invt_no, districts).ok
        assert data.find_bonded_list(listed.seq_no) == listed.nth
        assert listed.bond_invt_no is None or data.find_bonded_list(listed.bond_invt_no) == listed.nth


@pytest.mark.parametrize(
    "number",
    ["E20260000000000001", "I2026000000000000X", "X20260000000000001", "E2026", "", "QD311126I000000001"],
)
def test_a_number_the_data_set_does_not_hold_finds_nothing(number: str) -> None:
    data = data_set()
    assert data.find_declaration(number) is None and data.find_bonded_list(number) is None


def test_a_number_beyond_the_records_of_a_smaller_data_set_finds_nothing() -> None:
    seq_no = data_set().declaration_facts(4000).seq_no
    assert data_set(declarations=4001).find_declaration(seq_no) == 4000
    assert data_set(declarations=4000).find_declaration(seq_no) is None


def test_the_enterprise_is_in_exactly_its_role_in_every_declaration() -> None:
    data = data_set()
    name = data.enterprise.name
    roles = Counter()
    for index in range(0, data.declarations, 11):
        facts, head = data.declaration_facts(index), data.declaration(index).head
        roles[facts.role] += 1
        named = {"1": head.trade_name == name, "2": head.agent_name == name, "3": head.owner_name == name}
        assert named == {role: role == facts.role for role in named}, index
        assert head.trade_name == TRADERS[facts.trade].name
        assert head.seq_no == facts.seq_no and head.entry_id == facts.entry_id
    assert set(roles) == {"1", "2", "3"}
    assert len({TRADERS[data.declaration_facts(i).trade].name for i in range(500)}) > 10


def test_times_stay_inside_the_period_and_versions_count_the_receipts() -> None:
    data = data_set()
    channels = Counter()
    for index in range(0, data.declarations, 7):
        facts = data.declaration_facts(index)
        times = [facts.declared, *(moment for _, moment in facts.receipts)]
        assert times == sorted(times) and facts.declared >= 0 and facts.updated < data.span
        assert facts.version == 1 + len(facts.receipts) and facts.channel == (
            facts.receipts[-1][0] if facts.receipts else None
        )
        assert (facts.entry_id is not None) == any(channel == "L" for channel, _ in facts.receipts)
        channels[facts.channel] += 1
    assert {None, "L", "P", "R", "D", "Z", "E"} <= set(channels)


def test_bonded_lists_round_trip_through_inv101_and_name_the_enterprise_in_their_role() -> None:
    data = data_set()
    name = data.enterprise.name
    seen = Counter()
    for index in range(0, data.bonded_lists, 13):
        facts, document = data.bonded_list_facts(index), data.bonded_list(index)
        head = document.head
        seen[(facts.role, facts.list_stat, facts.ie_flag, facts.data_source)] += 1
        named = {
            "1": head.bizop_etps_nm == name,
            "2": head.rcvgd_etps_nm == name,
            "3": head.dcl_etps_nm == name,
        }
        assert named == {role: role == facts.role for role in named}, index
        assert (head.seq_no, head.bond_invt_no, head.list_stat) == (
            facts.seq_no,
            facts.bond_invt_no,
            facts.list_stat,
        )
        assert (facts.bond_invt_no is None) == (facts.list_stat == "1")
        message = Inv101Message(
            envelope=EnvelopInfo(
                message_id="M1", file_name="M1.xml", sender_id="S", receiver_id="R", send_time="x"
            ),
            declare=True,
            bonded_list=document,
        )
        assert parse_inv101(build_inv101(message)).bonded_list == document
    assert {key[1] for key in seen} == {"0", "1", "2", "3"} and {key[0] for key in seen} == {"1", "2", "3"}
    assert {key[2] for key in seen} == {"I", "E"} and {key[3] for key in seen} == {"1", "2"}


def test_the_pools_hold_valid_distinct_companies() -> None:
    parties = [*TRADERS, *BROKERS]
    assert len({p.name for p in parties}) == len({p.scc for p in parties}) == len(parties)


def test_a_data_set_refuses_what_it_cannot_hold() -> None:
    with pytest.raises(ValueError, match="time zone"):
        DataSet(seed=1, start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="at most"):
        DataSet(seed=1, start=START, declarations=100_001)
    with pytest.raises(ValueError, match="days"):
        DataSet(seed=1, start=START, days=0)
