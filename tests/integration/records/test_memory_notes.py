"""Memory notes over gRPC, on real PostgreSQL: off until the organisation and the user turn them on; only their
author ever reaches them; a delete leaves no row; each use is an access-log row without the text."""

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as pb
from sqlalchemy import text

from services.common.errors import InvalidFields, NotFound, PermissionDenied
from services.common.grpc_client import call
from tests.support.orgs import new_org


class Setup:
    """A student at a unit, and a role that reads the unit's folder."""

    def __init__(self, org, unit, role, student):
        self.org, self.unit, self.role, self.student = org, unit, role, student

    async def reader(
        self, *, level=ipb.PERMISSION_LEVEL_MEMBER, memory_notes: bool = True
    ) -> tuple[str, str]:
        """A logged-in user who may see the student; returns (user id, access token)."""
        user, email = await self.org.user(level=level)
        await self.org.assign(user.id, self.role.id, self.unit.id)
        if memory_notes:
            request = ipb.UpdateUserRequest(user_id=user.id, use_memory_notes=True)
            await self.org.as_admin(self.org.identity.UpdateUser, request)
        return user.id, await self.org.login(email)

    async def write(self, token: str, words: str, student_id: str = "") -> pb.MemoryNote:
        request = pb.CreateMemoryNoteRequest(
            student_id=student_id or self.student.id, text=words, consistency_token=self.org.token
        )
        return await call(self.org.records.CreateMemoryNote, request, token=token)

    async def listed(self, token: str) -> list[str]:
        request = pb.ListMemoryNotesRequest(student_id=self.student.id, consistency_token=self.org.token)
        reply = await call(self.org.records.ListMemoryNotes, request, token=token)
        return [n.text for n in reply.memory_notes]


async def allow(org, allowed: bool = True) -> None:
    request = ipb.UpdateSettingsRequest(memory_notes_allowed=allowed)
    await org.as_admin(org.identity.UpdateSettings, request)


@pytest.fixture
async def school(org) -> Setup:
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    return Setup(org, unit, role, await org.student(unit.id))


async def test_memory_notes_are_off_by_default_and_the_refusal_names_what_is_off(org, school):
    _, me = await school.reader()
    with pytest.raises(PermissionDenied) as organisation_off:
        await school.write(me, "Något")
    assert "memory_notes_allowed" in organisation_off.value.message
    await allow(org)
    _, flag_off = await school.reader(memory_notes=False)
    with pytest.raises(PermissionDenied) as user_off:
        await school.listed(flag_off)
    assert "use_memory_notes" in user_off.value.message


async def test_the_author_writes_lists_edits_and_deletes_and_the_delete_leaves_no_row(
    org, school, db_session
):
    await allow(org)
    _, me = await school.reader()
    first = await school.write(me, "Verkade orolig på lektionen")
    second = await school.write(me, "Ring vårdnadshavare")
    assert await school.listed(me) == ["Ring vårdnadshavare", "Verkade orolig på lektionen"]
    request = pb.UpdateMemoryNoteRequest(
        student_id=school.student.id,
        memory_note_id=first.id,
        text="Verkade glad",
        consistency_token=org.token,
    )
    edited = await call(org.records.UpdateMemoryNote, request, token=me)
    assert edited.text == "Verkade glad" and edited.student_id == school.student.id

    delete = pb.DeleteMemoryNoteRequest(
        student_id=school.student.id, memory_note_id=second.id, consistency_token=org.token
    )
    await call(org.records.DeleteMemoryNote, delete, token=me)
    assert await school.listed(me) == ["Verkade glad"]
    rows = await db_session.scalar(
        text("SELECT count(*) FROM records.memory_notes WHERE id = :id"), {"id": second.id}
    )
    assert rows == 0
    with pytest.raises(NotFound):
        await call(org.records.DeleteMemoryNote, delete, token=me)


async def test_another_user_and_an_administrator_see_nothing_and_get_not_found(org, school):
    await allow(org)
    _, me = await school.reader()
    _, colleague = await school.reader()
    _, admin = await school.reader(level=ipb.PERMISSION_LEVEL_ADMIN)
    mine = await school.write(me, "Bara min")
    for token in (colleague, admin):
        assert await school.listed(token) == []
        for method, request in (
            (
                org.records.UpdateMemoryNote,
                pb.UpdateMemoryNoteRequest(
                    student_id=school.student.id, memory_note_id=mine.id, text="Ändrad"
                ),
            ),
            (
                org.records.DeleteMemoryNote,
                pb.DeleteMemoryNoteRequest(student_id=school.student.id, memory_note_id=mine.id),
            ),
        ):
            with pytest.raises(NotFound) as missing:
                await call(method, request, token=token)
            assert missing.value.field == "memory_note_id"
    assert await school.listed(me) == ["Bara min"]


async def test_a_user_who_may_not_see_the_student_is_refused(org, school):
    await allow(org)
    stranger, email = await org.user()
    await org.as_admin(
        org.identity.UpdateUser, ipb.UpdateUserRequest(user_id=stranger.id, use_memory_notes=True)
    )
    with pytest.raises(PermissionDenied):
        await school.write(await org.login(email), "Något")


async def test_another_organisations_student_is_not_found(services, org, school):
    elsewhere = await new_org(services)
    await allow(elsewhere)
    theirs = await elsewhere.student((await elsewhere.unit()).id)
    await allow(org)
    _, me = await school.reader()
    with pytest.raises(NotFound):
        await school.write(me, "Något", student_id=theirs.id)


@pytest.mark.parametrize("words", ["", "   ", "x" * 10_001, "nul\x00byte"])
async def test_a_bad_text_is_refused_naming_the_text(org, school, words):
    await allow(org)
    _, me = await school.reader()
    with pytest.raises(InvalidFields) as refused:
        await school.write(me, words)
    assert refused.value.field == "text"
    assert await school.listed(me) == []


async def test_each_use_is_logged_as_a_student_access_without_the_text(org, school, db_session):
    await allow(org)
    user_id, me = await school.reader()
    await school.write(me, "Hemligt innehåll")
    await school.listed(me)
    rows = (
        (
            await db_session.execute(
                text("SELECT * FROM records.access_log WHERE org_id = :org AND action = 'memory_notes'"),
                {"org": org.org_id},
            )
        )
        .mappings()
        .all()
    )
    assert [(str(r["user_id"]), str(r["student_id"]), r["outcome"]) for r in rows] == [
        (user_id, school.student.id, "allowed")
    ] * 2
    assert not any("Hemligt" in str(dict(r)) for r in rows)
