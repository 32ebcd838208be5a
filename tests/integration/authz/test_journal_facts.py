"""Authz over gRPC: signing needs the user's may-sign flag from identity, and grants name template menus that
records announced."""

import uuid

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.authz.v1 import events_pb2 as authz_events
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import events_pb2 as records_events
from sqlalchemy import text

from services.common.auth import Caller, PermissionLevel, bind_caller, unbind_caller
from services.common.db import session_factory
from services.common.errors import NotFound
from services.common.grpc_client import call
from services.common.uow import UnitOfWork
from services.records.adapters.clients import AuthzClient
from services.records.adapters.orm import KIT as RECORDS_KIT
from tests.support.orgs import PASSWORD, new_org


async def check(org, token: str, unit_id: str, folder_id: str, action, consistency: str = ""):
    request = pb.CheckRequest(
        unit_id=unit_id, folder_id=folder_id, action=action, consistency_token=consistency or org.token
    )
    return await call(org.authz.Check, request, token=token)


async def template_menu(engine, org) -> str:
    """A template menu as records announces it: TemplateMenuCreated through records' outbox."""
    menu_id = str(uuid.uuid4())
    async with UnitOfWork(session_factory(engine), RECORDS_KIT, "records") as uow:
        uow.publish(org.org_id, records_events.TemplateMenuCreated(menu_id=menu_id))
        org.tokens.append(await uow.commit())
    return menu_id


async def set_grant(org, role_id: str, folder_id: str, menu_id: str = "", access=pb.ACCESS_READ_WRITE):
    grant = pb.Grant(role_id=role_id, folder_id=folder_id, access=access, template_menu_id=menu_id)
    request = pb.SetGrantRequest(grant=grant, consistency_token=org.token)
    return await org.as_admin(org.authz.SetGrant, request)


async def set_may_sign(org, user_id: str, may_sign: bool) -> str:
    request = ipb.UpdateUserRequest(user_id=user_id, may_sign_notes=may_sign)
    return (await org.as_admin(org.identity.UpdateUser, request)).consistency_token


@pytest.fixture
async def school(org):
    """A unit, a nurse role with read/write on a medical journal, and a nurse on the unit."""
    unit, role, medical = await org.unit(), await org.role("Skolsköterska"), await org.folder()
    await org.grant(role.id, medical.id)
    nurse, token = await org.member_with_role(role.id, unit.id)
    return {"unit": unit, "role": role, "medical": medical, "nurse": nurse, "token": token}


# --- signing ----------------------------------------------------------------------------------------


async def test_a_user_created_not_to_sign_writes_but_cannot_sign_until_an_administrator_allows_it(
    org, school
):
    request = ipb.CreateUserRequest(
        first_name="Vera",
        last_name="Vikarie",
        email=f"vikarie-{uuid.uuid4().hex[:8]}@test.elevhalsa.se",
        active=True,
        password=PASSWORD,
        may_sign_notes=False,
    )
    user = (await org.as_admin(org.identity.CreateUser, request)).user
    await org.assign(user.id, school["role"].id, school["unit"].id)
    token = await org.login(request.email)
    unit, medical = school["unit"].id, school["medical"].id

    assert (await check(org, token, unit, medical, pb.ACTION_WRITE)).allowed
    refused = await check(org, token, unit, medical, pb.ACTION_SIGN)
    assert (refused.allowed, refused.reason) == (False, "the user may not sign notes")

    allowed = await set_may_sign(org, user.id, True)
    assert (await check(org, token, unit, medical, pb.ACTION_SIGN, consistency=allowed)).allowed


async def test_stopping_a_user_signing_holds_for_the_very_next_check_with_its_token(org, school):
    unit, medical = school["unit"].id, school["medical"].id
    for _ in range(3):
        assert (await check(org, school["token"], unit, medical, pb.ACTION_SIGN)).allowed
        stopped = await set_may_sign(org, school["nurse"].id, False)
        refused = await check(org, school["token"], unit, medical, pb.ACTION_SIGN, consistency=stopped)
        assert (refused.allowed, refused.reason) == (False, "the user may not sign notes")
        await set_may_sign(org, school["nurse"].id, True)


async def test_a_user_who_may_sign_cannot_sign_where_the_role_only_reads(org, school):
    await org.grant(school["role"].id, school["medical"].id, pb.ACCESS_READ)
    refused = await check(org, school["token"], school["unit"].id, school["medical"].id, pb.ACTION_SIGN)
    assert not refused.allowed and "grants write" in refused.reason


async def test_records_asks_about_signing_through_its_client(services, org, school):
    reset = bind_caller(Caller(school["nurse"].id, org.org_id, PermissionLevel.MEMBER, school["token"]))
    try:
        client = AuthzClient(services.channels["authz"], timeout=5)
        unit, medical = uuid.UUID(school["unit"].id), uuid.UUID(school["medical"].id)
        assert await client.check(unit, medical, "sign", org.token) == (True, "granted")
        stopped = await set_may_sign(org, school["nurse"].id, False)
        assert await client.check(unit, medical, "sign", stopped) == (False, "the user may not sign notes")
    finally:
        unbind_caller(reset)


# --- template menus ---------------------------------------------------------------------------------


async def test_a_grant_names_a_template_menu_records_announced_and_lists_and_publishes_it(
    org, school, engine
):
    menu = await template_menu(engine, org)
    reply = await set_grant(org, school["role"].id, school["medical"].id, menu)
    assert reply.grant.template_menu_id == menu
    listed = await call(org.authz.ListGrants, pb.ListGrantsRequest(), token=org.admin)
    assert [(g.folder_id, g.template_menu_id) for g in listed.grants] == [(school["medical"].id, menu)]
    async with engine.connect() as conn:
        payload = (
            await conn.execute(
                text(
                    "SELECT payload FROM authz.outbox WHERE org_id = :org AND subject LIKE '%.GrantChanged' "
                    "ORDER BY id DESC LIMIT 1"
                ),
                {"org": org.org_id},
            )
        ).scalar_one()
    assert authz_events.GrantChanged.FromString(payload).grant.template_menu_id == menu


async def test_a_grant_without_a_menu_names_none(org, school, engine):
    await set_grant(org, school["role"].id, school["medical"].id, await template_menu(engine, org))
    reply = await set_grant(org, school["role"].id, school["medical"].id)
    assert reply.grant.template_menu_id == ""
    allowed = await check(org, school["token"], school["unit"].id, school["medical"].id, pb.ACTION_WRITE)
    assert allowed.allowed and list(allowed.template_menu_ids) == []


async def test_a_menu_authz_does_not_know_or_of_another_organisation_is_not_found(
    services, org, school, engine
):
    other = await new_org(services)
    theirs = await template_menu(engine, other)
    for menu in (str(uuid.uuid4()), theirs):
        with pytest.raises(NotFound) as refused:
            await set_grant(org, school["role"].id, school["medical"].id, menu)
        assert refused.value.field == "template_menu_id"
    listed = await call(org.authz.ListGrants, pb.ListGrantsRequest(), token=org.admin)
    assert [g.template_menu_id for g in listed.grants] == [""]


async def test_a_write_check_names_the_menus_of_both_roles_the_user_holds_on_the_unit(
    services, org, school, engine
):
    health, screening = await template_menu(engine, org), await template_menu(engine, org)
    doctor_role = await org.role("Skolläkare")
    await set_grant(org, school["role"].id, school["medical"].id, health)
    await set_grant(org, doctor_role.id, school["medical"].id, screening)
    await org.assign(school["nurse"].id, doctor_role.id, school["unit"].id)

    allowed = await check(org, school["token"], school["unit"].id, school["medical"].id, pb.ACTION_WRITE)
    assert allowed.allowed and list(allowed.template_menu_ids) == sorted([health, screening])

    elsewhere = await org.unit()
    refused = await check(org, school["token"], elsewhere.id, school["medical"].id, pb.ACTION_WRITE)
    assert not refused.allowed and list(refused.template_menu_ids) == []

    reset = bind_caller(Caller(school["nurse"].id, org.org_id, PermissionLevel.MEMBER, school["token"]))
    try:
        client = AuthzClient(services.channels["authz"], timeout=5)
        answer = await client.writable_menus(
            uuid.UUID(school["unit"].id), uuid.UUID(school["medical"].id), org.token
        )
    finally:
        unbind_caller(reset)
    assert answer == (True, "granted", sorted([health, screening]))
