"""Post-its: the text rules, and handlers that only ever reach the caller's own post-its."""

import uuid
from datetime import timedelta

import pytest

from services.common import clock
from services.common.auth import PermissionLevel
from services.common.errors import InvalidFields, NotFound
from services.records.adapters.orm import PostIt
from services.records.domain import post_its as rules
from services.records.service_layer import post_its
from tests.unit.records.fakes import ORG, FakeIdentity, FakeUnitsOfWork, Journal, caller

# The text -------------------------------------------------------------------------------------------------


def field_and_rule(text: str) -> tuple[str, str]:
    with pytest.raises(InvalidFields) as refused:
        rules.check_text(text)
    [problem] = refused.value.problems
    return problem.field, problem.rule


def test_a_text_is_kept_as_written_with_its_line_breaks_and_tabs():
    assert rules.check_text("  Ring Anna\n\tom mötet ") == "  Ring Anna\n\tom mötet "
    assert rules.check_text("x" * rules.MAX_TEXT) == "x" * rules.MAX_TEXT


@pytest.mark.parametrize(
    "text, rule",
    [("", "required"), (" \n\t", "required"), ("x" * 10_001, "max_length"), ("a\x00b", "printable")],
)
def test_an_empty_blank_too_long_or_nul_text_is_refused_naming_the_text(text, rule):
    assert field_and_rule(text) == ("text", rule)


def test_a_page_is_at_most_two_hundred_and_its_cursor_must_be_one_given_out():
    when, post_it_id = clock.utcnow(), uuid.uuid4()
    assert rules.page(0, "").limit == rules.DEFAULT_PAGE
    assert rules.page(5, rules.encode_cursor(when, post_it_id)).after == (when, post_it_id)
    for limit, cursor in [(201, ""), (-1, ""), (10, "not-a-cursor")]:
        with pytest.raises(InvalidFields):
            rules.page(limit, cursor)


def test_a_post_it_goes_only_to_another_active_user_of_the_organisation():
    giver, receiver = uuid.uuid4(), uuid.uuid4()
    rules.check_receiver(giver, receiver, rules.Receiver(receiver, active=True))
    cases = [
        (giver, rules.Receiver(giver, active=True), "same_user"),
        (receiver, None, "unknown_user"),
        (receiver, rules.Receiver(receiver, active=False), "inactive_user"),
    ]
    for to, found, rule in cases:
        with pytest.raises(InvalidFields) as refused:
            rules.check_receiver(giver, to, found)
        assert [(p.field, p.rule) for p in refused.value.problems] == [("user_id", rule)]


# The handlers ---------------------------------------------------------------------------------------------


@pytest.fixture
def units() -> FakeUnitsOfWork:
    return FakeUnitsOfWork(Journal())


async def test_the_owner_writes_reads_edits_and_deletes_a_post_it_without_history(units):
    me = caller()
    written = await post_its.create_post_it(units, me, "Boka rum")
    assert (await post_its.get_post_it(units, me, written.id)).text == "Boka rum"
    edited = await post_its.update_post_it(units, me, written.id, "Boka rum 3")
    assert edited.text == "Boka rum 3" and edited.updated_at >= edited.created_at
    assert [p.text for p in units.journal.post_its] == ["Boka rum 3"]
    await post_its.delete_post_it(units, me, written.id)
    assert units.journal.post_its == []
    with pytest.raises(NotFound):
        await post_its.get_post_it(units, me, written.id)


async def test_nobody_else_reaches_a_post_it_not_even_an_administrator(units):
    mine = await post_its.create_post_it(units, caller(), "Mitt")
    for other in (caller(), caller(PermissionLevel.ADMIN)):
        with pytest.raises(NotFound) as missing:
            await post_its.get_post_it(units, other, mine.id)
        assert missing.value.field == "post_it_id"
        for change in (
            post_its.update_post_it(units, other, mine.id, "Ändrat"),
            post_its.delete_post_it(units, other, mine.id),
            post_its.transfer_post_it(units, other, FakeIdentity(units), mine.id, uuid.uuid4()),
        ):
            with pytest.raises(NotFound):
                await change
        assert await post_its.list_post_its(units, other, rules.page(0, "")) == ([], "")
    assert [p.text for p in units.journal.post_its] == ["Mitt"]


async def test_the_list_is_the_callers_own_newest_first_a_page_at_a_time(units):
    me, now = caller(), clock.utcnow()
    units.journal.post_its = [
        PostIt(
            id=uuid.uuid4(),
            org_id=ORG,
            owner_id=uuid.UUID(me.user_id),
            text=f"Lapp {n}",
            created_at=now + timedelta(minutes=n),
            updated_at=now,
        )
        for n in range(5)
    ]
    await post_its.create_post_it(units, caller(), "Någon annans")
    first, cursor = await post_its.list_post_its(units, me, rules.page(3, ""))
    rest, last = await post_its.list_post_its(units, me, rules.page(3, cursor))
    assert [p.text for p in first + rest] == [f"Lapp {n}" for n in (4, 3, 2, 1, 0)]
    assert cursor and last == ""


async def test_a_transfer_hands_the_post_it_over_asking_identity_with_no_unit_of_work_open(units):
    giver, receiver = caller(), caller()
    identity = FakeIdentity(units, users={uuid.UUID(receiver.user_id): True})
    post_it = await post_its.create_post_it(units, giver, "Till dig")
    await post_its.transfer_post_it(units, giver, identity, post_it.id, uuid.UUID(receiver.user_id))
    assert identity.open_while_asked == [0]
    assert await post_its.list_post_its(units, giver, rules.page(0, "")) == ([], "")
    assert (await post_its.get_post_it(units, receiver, post_it.id)).text == "Till dig"


async def test_a_refused_transfer_changes_nothing(units):
    giver, inactive, unknown = caller(), uuid.uuid4(), uuid.uuid4()
    identity = FakeIdentity(units, users={inactive: False})
    post_it = await post_its.create_post_it(units, giver, "Stannar")
    for to in (inactive, unknown, uuid.UUID(giver.user_id)):
        with pytest.raises(InvalidFields) as refused:
            await post_its.transfer_post_it(units, giver, identity, post_it.id, to)
        assert refused.value.field == "user_id"
    assert [p.owner_id for p in units.journal.post_its] == [uuid.UUID(giver.user_id)]


async def test_post_its_are_not_access_logged_as_student_reads(units):
    me = caller()
    post_it = await post_its.create_post_it(units, me, "Inget om elever")
    await post_its.get_post_it(units, me, post_it.id)
    await post_its.list_post_its(units, me, rules.page(0, ""))
    assert units.journal.access_log == []
