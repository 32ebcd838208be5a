"""School years, classes and student groups over gRPC: rules, rights and the tenancy wall."""

import asyncio
from datetime import date

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as pb

from services.common import clock
from services.common.convert import date_from_proto, date_to_proto
from services.common.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, PermissionDenied
from services.common.grpc_client import call
from services.records.domain.school import standard_school_year
from tests.support.orgs import new_org
from tests.support.school import school_class, school_year, student_group


async def member_token(org) -> str:
    user, email = await org.user()
    return await org.login(email)


async def test_the_current_school_year_is_made_once_by_the_standard_rule_however_many_ask(org):
    token = await member_token(org)
    answers = await asyncio.gather(
        *[
            call(org.records.GetCurrentSchoolYear, pb.GetCurrentSchoolYearRequest(), token=token)
            for _ in range(6)
        ]
    )
    expected = standard_school_year(clock.today())
    assert {a.id for a in answers} == {answers[0].id}
    current = answers[0]
    assert (current.name, date_from_proto(current.starts_on, "s"), date_from_proto(current.ends_on, "e")) == (
        expected.name,
        expected.starts_on,
        expected.ends_on,
    )
    assert current.current
    listed = await call(org.records.ListSchoolYears, pb.ListSchoolYearsRequest(), token=token)
    assert [y.id for y in listed.school_years] == [current.id]


async def test_a_school_year_gets_the_standard_dates_of_its_name_and_is_listed_newest_first(org):
    later = await school_year(org, "2041/42")
    earlier = await school_year(org, "2040/41")
    assert (date_from_proto(later.starts_on, "s"), date_from_proto(later.ends_on, "e")) == (
        date(2041, 7, 1),
        date(2042, 6, 30),
    )
    assert not later.current
    listed = await call(org.records.ListSchoolYears, pb.ListSchoolYearsRequest(), token=org.admin)
    assert [y.name for y in listed.school_years] == ["2041/42", "2040/41"]
    assert [y.id for y in listed.school_years] == [later.id, earlier.id]


@pytest.mark.parametrize("name", ["2040/42", "2040-41", "40/41", "2040/41/42", ""])
async def test_a_school_year_name_must_be_two_consecutive_years(org, name):
    with pytest.raises(InvalidArgument) as refused:
        await call(org.records.CreateSchoolYear, pb.CreateSchoolYearRequest(name=name), token=org.admin)
    assert refused.value.field == "name"


async def test_explicit_dates_may_differ_from_the_standard_but_not_overlap_another_year(org):
    await school_year(org, "2040/41")
    custom = await school_year(org, "2041/42", date(2041, 8, 15), date(2042, 6, 10))
    assert date_from_proto(custom.starts_on, "s") == date(2041, 8, 15)
    with pytest.raises(Conflict) as overlapping:
        await school_year(org, "2042/43", date(2042, 6, 1), date(2043, 5, 31))
    assert overlapping.value.field == "starts_on" and "2041/42" in overlapping.value.message
    with pytest.raises(AlreadyExists) as taken:
        await school_year(org, "2040/41")
    assert taken.value.field == "name"
    with pytest.raises(InvalidArgument) as half:
        await call(
            org.records.CreateSchoolYear,
            pb.CreateSchoolYearRequest(name="2045/46", starts_on=date_to_proto(date(2045, 8, 1))),
            token=org.admin,
        )
    assert half.value.field == "ends_on"


async def test_school_years_of_organisations_do_not_meet(services, org):
    other = await new_org(services)
    ours = await school_year(org, "2040/41")
    theirs = await school_year(other, "2040/41")
    assert ours.id != theirs.id
    with pytest.raises(NotFound) as hidden:
        await school_class(org, (await org.unit()).id, theirs.id, "4A")
    assert hidden.value.field == "school_year_id"


async def test_only_admins_and_subadmins_create_school_years_classes_and_groups(org):
    member = await member_token(org)
    unit, year = await org.unit(), await school_year(org, "2040/41")
    attempts = [
        (org.records.CreateSchoolYear, pb.CreateSchoolYearRequest(name="2041/42")),
        (org.records.CreateClass, pb.CreateClassRequest(unit_id=unit.id, school_year_id=year.id, name="4A")),
        (org.records.CreateStudentGroup, pb.CreateStudentGroupRequest(unit_id=unit.id, name="Kör")),
    ]
    for method, request in attempts:
        with pytest.raises(PermissionDenied):
            await call(method, request, token=member)
    subadmin, email = await org.user(level=ipb.PERMISSION_LEVEL_SUBADMIN)
    created = await call(attempts[1][0], attempts[1][1], token=await org.login(email))
    assert created.name == "4A"


async def test_a_class_is_unique_per_unit_school_year_and_name(org):
    a, b = await org.unit(), await org.unit()
    year, next_year = await school_year(org, "2040/41"), await school_year(org, "2041/42")
    first = await school_class(org, a.id, year.id, "4A")
    await school_class(org, b.id, year.id, "4A")
    await school_class(org, a.id, next_year.id, "4A")
    with pytest.raises(AlreadyExists) as taken:
        await school_class(org, a.id, year.id, "4A")
    assert taken.value.field == "name"
    got = await call(
        org.records.GetClass, pb.GetClassRequest(class_id=first.id), token=await member_token(org)
    )
    assert (got.unit_id, got.school_year_id, got.name) == (a.id, year.id, "4A")


async def test_classes_are_listed_by_unit_and_school_year_for_every_member(org):
    a, b = await org.unit(), await org.unit()
    year, next_year = await school_year(org, "2040/41"), await school_year(org, "2041/42")
    a4b = await school_class(org, a.id, year.id, "4B")
    a4a = await school_class(org, a.id, year.id, "4A")
    a5a = await school_class(org, a.id, next_year.id, "5A")
    await school_class(org, b.id, year.id, "NA22")
    member = await member_token(org)

    async def listed(**query) -> list[str]:
        reply = await call(org.records.ListClasses, pb.ListClassesRequest(**query), token=member)
        return [c.id for c in reply.classes]

    assert await listed(unit_id=a.id, school_year_id=year.id) == [a4a.id, a4b.id]
    assert await listed(unit_id=a.id) == [a5a.id, a4a.id, a4b.id]
    assert len(await listed(school_year_id=year.id)) == 3


async def test_another_organisations_classes_units_and_school_years_are_not_found(services, org):
    other = await new_org(services)
    their_unit = await other.unit()
    their_year = await school_year(other, "2040/41")
    their_class = await school_class(other, their_unit.id, their_year.id, "4A")
    our_year = await school_year(org, "2040/41")
    with pytest.raises(NotFound) as unit:
        await school_class(org, their_unit.id, our_year.id, "4A")
    assert unit.value.field == "unit_id"
    with pytest.raises(NotFound) as cls:
        await call(org.records.GetClass, pb.GetClassRequest(class_id=their_class.id), token=org.admin)
    assert cls.value.field == "class_id"
    for query, field in [
        ({"unit_id": their_unit.id}, "unit_id"),
        ({"school_year_id": their_year.id}, "school_year_id"),
    ]:
        with pytest.raises(NotFound) as listed:
            await call(org.records.ListClasses, pb.ListClassesRequest(**query), token=org.admin)
        assert listed.value.field == field


async def test_a_student_group_has_an_external_id_unique_in_the_organisation(services, org):
    a, b = await org.unit(), await org.unit()
    group = await student_group(org, a.id, "Kör åk 4", "SIS-GROUP-1")
    assert (group.name, group.external_id, group.unit_id) == ("Kör åk 4", "SIS-GROUP-1", a.id)
    with pytest.raises(AlreadyExists) as taken:
        await student_group(org, b.id, "Annan", "SIS-GROUP-1")
    assert taken.value.field == "external_id"
    await student_group(org, b.id, "Utan id")
    await student_group(org, b.id, "Också utan id")
    other = await new_org(services)
    await student_group(other, (await other.unit()).id, "Kör", "SIS-GROUP-1")
    listed = await call(
        org.records.ListStudentGroups, pb.ListStudentGroupsRequest(unit_id=b.id), token=org.admin
    )
    assert [g.name for g in listed.student_groups] == ["Också utan id", "Utan id"]


async def test_members_of_a_group_are_students_of_its_unit(org):
    a, b = await org.unit(), await org.unit()
    group = await student_group(org, a.id, "Kör")
    alva, saga = await org.student(a.id, 1), await org.student(b.id, 2)
    member = pb.StudentGroupMemberRequest(group_id=group.id, student_id=alva.id)
    added = await call(org.records.AddStudentToGroup, member, token=org.admin)
    again = await call(org.records.AddStudentToGroup, member, token=org.admin)
    assert [m.id for m in added.members] == [m.id for m in again.members] == [alva.id]
    with pytest.raises(InvalidArgument) as elsewhere:
        await call(
            org.records.AddStudentToGroup,
            pb.StudentGroupMemberRequest(group_id=group.id, student_id=saga.id),
            token=org.admin,
        )
    assert elsewhere.value.field == "student_id"
    read = await call(
        org.records.GetStudentGroup, pb.GetStudentGroupRequest(group_id=group.id), token=org.admin
    )
    assert [(m.id, m.first_name) for m in read.members] == [(alva.id, "Elev")]
    removed = await call(org.records.RemoveStudentFromGroup, member, token=org.admin)
    assert list(removed.members) == []


async def test_a_groups_members_are_shown_to_those_who_may_see_its_units_students(org):
    a = await org.unit()
    group = await student_group(org, a.id, "Kör")
    alva = await org.student(a.id, 1)
    await call(
        org.records.AddStudentToGroup,
        pb.StudentGroupMemberRequest(group_id=group.id, student_id=alva.id),
        token=org.admin,
    )
    role, folder = await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    _, nurse = await org.member_with_role(role.id, a.id)
    request = pb.GetStudentGroupRequest(group_id=group.id, consistency_token=org.token)
    assert [m.id for m in (await call(org.records.GetStudentGroup, request, token=nurse)).members] == [
        alva.id
    ]
    with pytest.raises(PermissionDenied):
        await call(org.records.GetStudentGroup, request, token=await member_token(org))


async def test_another_organisations_groups_and_students_are_not_found(services, org):
    other = await new_org(services)
    their_unit = await other.unit()
    their_group = await student_group(other, their_unit.id, "Kör")
    their_student = await other.student(their_unit.id, 3)
    our_unit = await org.unit()
    our_group = await student_group(org, our_unit.id, "Kör")
    with pytest.raises(NotFound) as group:
        await call(
            org.records.GetStudentGroup, pb.GetStudentGroupRequest(group_id=their_group.id), token=org.admin
        )
    assert group.value.field == "group_id"
    with pytest.raises(NotFound) as student:
        await call(
            org.records.AddStudentToGroup,
            pb.StudentGroupMemberRequest(group_id=our_group.id, student_id=their_student.id),
            token=org.admin,
        )
    assert student.value.field == "student_id"
    with pytest.raises(NotFound) as unit:
        await student_group(org, their_unit.id, "Kör 2")
    assert unit.value.field == "unit_id"
