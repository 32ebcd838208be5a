"""Post-its over gRPC, on real PostgreSQL: only their owner ever reaches them, and a transfer moves them."""

import uuid

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as pb
from sqlalchemy import text

from services.common.errors import InvalidFields, NotFound
from services.common.grpc_client import call
from tests.support.orgs import new_org


async def member(org) -> tuple[ipb.User, str]:
    """A logged-in member without any role: post-its need none."""
    user, email = await org.user()
    return user, await org.login(email)


async def write(org, token: str, words: str) -> pb.PostIt:
    return await call(org.records.CreatePostIt, pb.CreatePostItRequest(text=words), token=token)


async def listed(org, token: str, **page) -> list[str]:
    reply = await call(org.records.ListPostIts, pb.ListPostItsRequest(**page), token=token)
    return [p.text for p in reply.post_its]


async def test_a_member_writes_lists_edits_and_deletes_their_post_its(org):
    _, me = await member(org)
    first = await write(org, me, "Ring skolsköterskan")
    second = await write(org, me, "Boka EHT-möte")
    assert await listed(org, me) == ["Boka EHT-möte", "Ring skolsköterskan"]

    request = pb.UpdatePostItRequest(post_it_id=first.id, text="Ringt – vänta på svar")
    edited = await call(org.records.UpdatePostIt, request, token=me)
    assert edited.text == "Ringt – vänta på svar"
    assert edited.updated_at.ToDatetime() > edited.created_at.ToDatetime()
    read = await call(org.records.GetPostIt, pb.GetPostItRequest(post_it_id=first.id), token=me)
    assert read.text == "Ringt – vänta på svar"

    await call(org.records.DeletePostIt, pb.DeletePostItRequest(post_it_id=second.id), token=me)
    assert await listed(org, me) == ["Ringt – vänta på svar"]
    with pytest.raises(NotFound):
        await call(org.records.GetPostIt, pb.GetPostItRequest(post_it_id=second.id), token=me)


async def test_the_list_comes_a_page_at_a_time_newest_first(org):
    _, me = await member(org)
    for n in range(5):
        await write(org, me, f"Lapp {n}")
    first = await call(org.records.ListPostIts, pb.ListPostItsRequest(limit=2), token=me)
    rest = await call(
        org.records.ListPostIts, pb.ListPostItsRequest(limit=3, cursor=first.next_cursor), token=me
    )
    assert [p.text for p in [*first.post_its, *rest.post_its]] == [f"Lapp {n}" for n in (4, 3, 2, 1, 0)]
    assert rest.next_cursor == ""


async def test_another_member_and_the_administrator_get_not_found_and_see_nothing(org):
    _, owner = await member(org)
    _, other = await member(org)
    mine = await write(org, owner, "Bara min")
    for token in (other, org.admin):
        assert await listed(org, token) == []
        for method, request in (
            (org.records.GetPostIt, pb.GetPostItRequest(post_it_id=mine.id)),
            (org.records.UpdatePostIt, pb.UpdatePostItRequest(post_it_id=mine.id, text="Ändrad")),
            (org.records.DeletePostIt, pb.DeletePostItRequest(post_it_id=mine.id)),
            (
                org.records.TransferPostIt,
                pb.TransferPostItRequest(post_it_id=mine.id, user_id=str(uuid.uuid4())),
            ),
        ):
            with pytest.raises(NotFound) as missing:
                await call(method, request, token=token)
            assert missing.value.field == "post_it_id"
    assert await listed(org, owner) == ["Bara min"]


async def test_another_organisations_post_it_is_not_found(services, org):
    _, mine = await member(org)
    post_it = await write(org, mine, "Min organisations")
    elsewhere = await new_org(services)
    with pytest.raises(NotFound):
        await call(
            elsewhere.records.GetPostIt, pb.GetPostItRequest(post_it_id=post_it.id), token=elsewhere.admin
        )


async def test_a_transfer_moves_the_post_it_to_the_receiver(org):
    _, giver = await member(org)
    receiver, receiving = await member(org)
    post_it = await write(org, giver, "Ta över ärendet")
    request = pb.TransferPostItRequest(post_it_id=post_it.id, user_id=receiver.id)
    await call(org.records.TransferPostIt, request, token=giver)
    assert await listed(org, giver) == []
    assert await listed(org, receiving) == ["Ta över ärendet"]
    with pytest.raises(NotFound):
        await call(org.records.GetPostIt, pb.GetPostItRequest(post_it_id=post_it.id), token=giver)


async def test_a_transfer_to_an_inactive_unknown_or_foreign_user_is_refused_and_changes_nothing(
    services, org
):
    _, giver = await member(org)
    inactive, _ = await org.user(active=False)
    foreign, _ = await (await new_org(services)).user()
    post_it = await write(org, giver, "Stannar hos mig")
    for user_id, message in (
        (inactive.id, "inactive"),
        (str(uuid.uuid4()), "no user of your organisation"),
        (foreign.id, "no user of your organisation"),
    ):
        request = pb.TransferPostItRequest(post_it_id=post_it.id, user_id=user_id)
        with pytest.raises(InvalidFields) as refused:
            await call(org.records.TransferPostIt, request, token=giver)
        assert refused.value.field == "user_id" and message in refused.value.message
    assert await listed(org, giver) == ["Stannar hos mig"]


@pytest.mark.parametrize("words", ["", "   ", "x" * 10_001, "nul\x00byte"])
async def test_a_bad_text_is_refused_naming_the_text(org, words):
    _, me = await member(org)
    with pytest.raises(InvalidFields) as refused:
        await write(org, me, words)
    assert refused.value.field == "text"
    assert await listed(org, me) == []


async def test_post_its_leave_no_access_log_rows(org, db_session):
    _, me = await member(org)
    post_it = await write(org, me, "Inget om elever")
    await call(org.records.GetPostIt, pb.GetPostItRequest(post_it_id=post_it.id), token=me)
    count = await db_session.scalar(
        text("SELECT count(*) FROM records.access_log WHERE org_id = :org"), {"org": org.org_id}
    )
    assert count == 0
