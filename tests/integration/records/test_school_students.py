"""Students in their school over gRPC: placements per school year, contact data and protected identity,
archiving, and the unit's student list with its rights, filters and pages."""

import jwt
import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as pb
from sqlalchemy import func, select

from services.common.errors import InvalidArgument, InvalidFields, NotFound, PermissionDenied
from services.common.grpc_client import call
from services.records.adapters.orm import AccessLogEntry
from services.records.domain.school import StudentKey, encode_cursor
from tests.support.orgs import new_org
from tests.support.school import named_student, place, school_class, school_year

CONTACT = pb.StudentContact(
    street_address="Storgatan 1",
    postcode="123 45",
    city="Stockholm",
    country="Sverige",
    phone_numbers=["070-123 45 67", "+46 8 123 456"],
    email="Vardnadshavare@Example.se",
)


@pytest.fixture
async def school(org):
    """Sätraskolan (a) with 4A and 4B this school year and 5A the next, Björkhagen (b), a nurse on a."""
    a, b = await org.unit("Sätraskolan"), await org.unit("Björkhagens gymnasium")
    this_year = await call(
        org.records.GetCurrentSchoolYear, pb.GetCurrentSchoolYearRequest(), token=org.admin
    )
    first = int(this_year.name[:4])
    next_year = await school_year(org, f"{first + 1}/{(first + 2) % 100:02d}")
    role, folder = await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    nurse, nurse_token = await org.member_with_role(role.id, a.id)
    return {
        "a": a,
        "b": b,
        "year": this_year,
        "next_year": next_year,
        "4A": await school_class(org, a.id, this_year.id, "4A"),
        "4B": await school_class(org, a.id, this_year.id, "4B"),
        "5A": await school_class(org, a.id, next_year.id, "5A"),
        "NA22": await school_class(org, b.id, this_year.id, "NA22"),
        "nurse": nurse_token,
    }


async def get_student(org, student_id: str, token: str) -> pb.Student:
    request = pb.GetStudentRequest(student_id=student_id, consistency_token=org.token)
    return await call(org.records.GetStudent, request, token=token)


async def logged_actions(engine, student_id: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(AccessLogEntry.action)
            .where(AccessLogEntry.student_id == student_id)
            .order_by(AccessLogEntry.id)
        )
        return [row[0] for row in rows]


async def user_with_level(org, level) -> str:
    _, email = await org.user(level=level)
    return await org.login(email)


# --- placements -------------------------------------------------------------------------------------------


async def test_moving_up_a_class_next_year_keeps_last_years_placement(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    await place(org, alva.id, school["year"].id, school["4A"].id, 4)
    moved = await place(org, alva.id, school["next_year"].id, school["5A"].id, 5)
    assert (moved.school_class.name, moved.grade.value, moved.school_year.id) == (
        "5A",
        5,
        school["next_year"].id,
    )
    read = await get_student(org, alva.id, school["nurse"])
    assert [
        (p.school_year.name, p.school_class.id, p.school_class.name, p.grade.value) for p in read.placements
    ] == [
        (school["next_year"].name, school["5A"].id, "5A", 5),
        (school["year"].name, school["4A"].id, "4A", 4),
    ]
    assert [p.school_year.current for p in read.placements] == [False, True]


async def test_a_placement_is_changed_in_place_and_removed_when_it_has_neither_class_nor_grade(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    await place(org, alva.id, school["year"].id, school["4A"].id, 4)
    changed = await place(org, alva.id, school["year"].id, school["4B"].id)
    assert changed.school_class.name == "4B" and not changed.HasField("grade")
    assert [p.school_class.name for p in (await get_student(org, alva.id, school["nurse"])).placements] == [
        "4B"
    ]
    await place(org, alva.id, school["year"].id)
    assert list((await get_student(org, alva.id, school["nurse"])).placements) == []


async def test_a_placement_needs_a_class_of_that_year_at_the_students_unit_and_a_real_grade(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    for class_id in (school["5A"].id, school["NA22"].id):
        with pytest.raises(InvalidArgument) as refused:
            await place(org, alva.id, school["year"].id, class_id, 4)
        assert refused.value.field == "class_id"
    for grade in (-1, 14):
        with pytest.raises(InvalidArgument) as refused:
            await place(org, alva.id, school["year"].id, school["4A"].id, grade)
        assert refused.value.field == "grade"
    assert (await place(org, alva.id, school["year"].id, grade=0)).grade.value == 0
    assert (await place(org, alva.id, school["next_year"].id, grade=13)).grade.value == 13


async def test_only_admins_and_subadmins_place_students(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    with pytest.raises(PermissionDenied):
        await place(org, alva.id, school["year"].id, school["4A"].id, 4, token=school["nurse"])
    subadmin = await user_with_level(org, ipb.PERMISSION_LEVEL_SUBADMIN)
    assert (await place(org, alva.id, school["year"].id, school["4A"].id, 4, token=subadmin)).grade.value == 4


async def test_another_organisations_students_years_and_classes_cannot_be_placed(services, org, school):
    other = await new_org(services)
    their_unit = await other.unit()
    their_year = await school_year(other, "2040/41")
    their_class = await school_class(other, their_unit.id, their_year.id, "4A")
    their_student = await other.student(their_unit.id, 5)
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    attempts = [
        ((their_student.id, school["year"].id, school["4A"].id), "student_id"),
        ((alva.id, their_year.id, ""), "school_year_id"),
        ((alva.id, school["year"].id, their_class.id), "class_id"),
    ]
    for (student_id, year_id, class_id), field in attempts:
        with pytest.raises(NotFound) as hidden:
            await place(org, student_id, year_id, class_id, 4)
        assert hidden.value.field == field


# --- contact data, protected identity, archiving ----------------------------------------------------------


async def test_contact_data_is_stored_normalised_and_shown_to_those_who_may_read_the_student(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1, contact=CONTACT)
    assert alva.contact.email == "vardnadshavare@example.se"
    read = await get_student(org, alva.id, school["nurse"])
    assert (read.contact.street_address, read.contact.city, list(read.contact.phone_numbers)) == (
        "Storgatan 1",
        "Stockholm",
        ["070-123 45 67", "+46 8 123 456"],
    )


async def test_protected_identity_hides_contact_data_from_everyone_but_admins(org, school, engine):
    alva = await named_student(
        org, school["a"].id, "Alva", "Nilsson", 1, protected_identity=True, contact=CONTACT
    )
    assert alva.contact.city == "Stockholm"  # the admin who created her
    hidden = await get_student(org, alva.id, school["nurse"])
    assert hidden.protected_identity and hidden.contact == pb.StudentContact()
    assert (hidden.first_name, hidden.personnummer) == ("Alva", alva.personnummer)
    subadmin = await user_with_level(org, ipb.PERMISSION_LEVEL_SUBADMIN)
    archived = await call(
        org.records.SetStudentArchived,
        pb.SetStudentArchivedRequest(student_id=alva.id, archived=True),
        token=subadmin,
    )
    assert archived.archived and archived.contact == pb.StudentContact()
    admin_id = jwt.decode(org.admin, options={"verify_signature": False})["sub"]
    role, folder = await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    await org.assign(admin_id, role.id, school["a"].id)
    shown = await get_student(org, alva.id, org.admin)
    assert shown.contact.email == "vardnadshavare@example.se"


async def test_a_subadmin_may_neither_lift_a_protected_identity_nor_touch_its_contact_data(org, school):
    alva = await named_student(
        org, school["a"].id, "Alva", "Nilsson", 1, protected_identity=True, contact=CONTACT
    )
    subadmin = await user_with_level(org, ipb.PERMISSION_LEVEL_SUBADMIN)
    for request, field in [
        (pb.UpdateStudentRequest(student_id=alva.id, protected_identity=False), "protected_identity"),
        (pb.UpdateStudentRequest(student_id=alva.id, city="Uppsala"), "city"),
    ]:
        with pytest.raises(PermissionDenied) as refused:
            await call(org.records.UpdateStudent, request, token=subadmin)
        assert refused.value.field == field
    renamed = await call(
        org.records.UpdateStudent,
        pb.UpdateStudentRequest(student_id=alva.id, first_name="Alvina"),
        token=subadmin,
    )
    assert renamed.first_name == "Alvina"
    lifted = await call(
        org.records.UpdateStudent,
        pb.UpdateStudentRequest(student_id=alva.id, protected_identity=False),
        token=org.admin,
    )
    assert not lifted.protected_identity and lifted.contact.city == "Stockholm"


async def test_an_update_changes_only_the_fields_it_sets(org, school, engine):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1, contact=CONTACT)
    request = pb.UpdateStudentRequest(
        student_id=alva.id,
        last_name="Nilsson Berg",
        street_address="",
        phone_numbers=pb.PhoneNumbers(numbers=["08-123 456"]),
        never_archive=True,
    )
    updated = await call(org.records.UpdateStudent, request, token=org.admin)
    assert (updated.first_name, updated.last_name, updated.never_archive) == ("Alva", "Nilsson Berg", True)
    assert (updated.contact.street_address, updated.contact.city, list(updated.contact.phone_numbers)) == (
        "",
        "Stockholm",
        ["08-123 456"],
    )
    assert await logged_actions(engine, alva.id) == ["update_student"]


async def test_bad_contact_data_is_refused_with_every_problem_and_nothing_is_changed(org, school):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1, contact=CONTACT)
    request = pb.UpdateStudentRequest(
        student_id=alva.id,
        city="Stock\x00holm",
        email="inte en adress",
        phone_numbers=pb.PhoneNumbers(numbers=["070-123", "ring mig", "+46 8"]),
        postcode="1" * 201,
    )
    with pytest.raises(InvalidFields) as refused:
        await call(org.records.UpdateStudent, request, token=org.admin)
    assert sorted(p.field for p in refused.value.problems) == [
        "city",
        "email",
        "phone_numbers[1]",
        "postcode",
    ]
    too_many = pb.UpdateStudentRequest(
        student_id=alva.id, phone_numbers=pb.PhoneNumbers(numbers=["1", "2", "3", "4"])
    )
    with pytest.raises(InvalidFields) as four:
        await call(org.records.UpdateStudent, too_many, token=org.admin)
    assert four.value.field == "phone_numbers"
    with pytest.raises(InvalidArgument) as unnamed:
        await call(
            org.records.UpdateStudent,
            pb.UpdateStudentRequest(student_id=alva.id, first_name=" "),
            token=org.admin,
        )
    assert unnamed.value.field == "first_name"
    assert (await get_student(org, alva.id, school["nurse"])).contact.city == "Stockholm"


async def test_archiving_and_unarchiving_are_for_admins_and_subadmins_and_logged(org, school, engine):
    alva = await named_student(org, school["a"].id, "Alva", "Nilsson", 1)
    archive = pb.SetStudentArchivedRequest(student_id=alva.id, archived=True)
    with pytest.raises(PermissionDenied):
        await call(org.records.SetStudentArchived, archive, token=school["nurse"])
    assert (await call(org.records.SetStudentArchived, archive, token=org.admin)).archived
    unarchive = pb.SetStudentArchivedRequest(student_id=alva.id, archived=False)
    assert not (await call(org.records.SetStudentArchived, unarchive, token=org.admin)).archived
    assert await logged_actions(engine, alva.id) == ["archive_student", "unarchive_student"]


# --- the unit's student list ------------------------------------------------------------------------------


async def unit_students(org, unit_id: str, token: str, **query) -> pb.ListUnitStudentsResponse:
    request = pb.ListUnitStudentsRequest(unit_id=unit_id, consistency_token=org.token, **query)
    return await call(org.records.ListUnitStudents, request, token=token)


@pytest.fixture
async def pupils(org, school):
    """Five students at a (two in 4A, one in 4B, one unplaced, one archived) and one at b."""
    a = school["a"].id
    made = {
        "omar": await named_student(org, a, "Omar", "Hassan", 1),
        "alva": await named_student(org, a, "Alva", "Nilsson", 2),
        "elias": await named_student(org, a, "Elias", "Johansson", 3),
        "ada": await named_student(org, a, "Ada", "Nilsson", 4),
        "gamla": await named_student(org, a, "Gamla", "Eleven", 5),
        "saga": await named_student(org, school["b"].id, "Saga", "Persson", 6),
    }
    await place(org, made["alva"].id, school["year"].id, school["4A"].id, 4)
    await place(org, made["elias"].id, school["year"].id, school["4A"].id, 4)
    await place(org, made["omar"].id, school["year"].id, school["4B"].id, 4)
    await place(org, made["alva"].id, school["next_year"].id, school["5A"].id, 5)
    await call(
        org.records.SetStudentArchived,
        pb.SetStudentArchivedRequest(student_id=made["gamla"].id, archived=True),
        token=org.admin,
    )
    return made


async def test_the_list_comes_in_pages_by_last_name_first_name_with_this_years_class_and_grade(
    org, school, pupils
):
    seen, cursor, pages = [], "", 0
    while True:
        page = await unit_students(org, school["a"].id, school["nurse"], limit=2, cursor=cursor)
        pages += 1
        seen.extend(page.students)
        cursor = page.next_cursor
        if not cursor:
            break
    assert pages == 2
    assert [(s.last_name, s.first_name) for s in seen] == [
        ("Hassan", "Omar"),
        ("Johansson", "Elias"),
        ("Nilsson", "Ada"),
        ("Nilsson", "Alva"),
    ]
    by_name = {s.first_name: s for s in seen}
    assert (by_name["Alva"].school_class.name, by_name["Alva"].grade.value) == ("4A", 4)
    assert not by_name["Ada"].HasField("school_class") and not by_name["Ada"].HasField("grade")
    assert by_name["Omar"].personnummer == pupils["omar"].personnummer
    assert page.school_year_id == school["year"].id


async def test_the_list_filters_by_class_name_archived_and_school_year(org, school, pupils):
    a, admin = school["a"].id, org.admin

    async def names(**query) -> list[str]:
        return [s.first_name for s in (await unit_students(org, a, admin, **query)).students]

    assert await names(class_id=school["4A"].id) == ["Elias", "Alva"]
    assert await names(name="NILS") == ["Ada", "Alva"]
    assert await names(name="ma") == ["Omar"]
    assert await names(name="%") == [] and await names(name="_") == []
    assert await names(archived=True) == ["Gamla"]
    next_year = await unit_students(org, a, admin, school_year_id=school["next_year"].id)
    assert [
        (s.first_name, s.school_class.name) for s in next_year.students if s.HasField("school_class")
    ] == [("Alva", "5A")]
    assert (await unit_students(org, a, admin, class_id=school["5A"].id)).school_year_id == school[
        "next_year"
    ].id


async def test_the_list_refuses_a_tampered_cursor_a_bad_limit_and_a_class_of_another_unit_or_year(
    org, school, pupils
):
    a, admin = school["a"].id, org.admin
    key = StudentKey("Nilsson", "Ada", pupils["ada"].id)
    for cursor in ("not-a-cursor", encode_cursor(key)[:-3], "W10", "WyJhIiwgMSwgIngiXQ"):
        with pytest.raises(InvalidArgument) as refused:
            await unit_students(org, a, admin, cursor=cursor)
        assert refused.value.field == "cursor"
    for limit in (-1, 201):
        with pytest.raises(InvalidArgument) as refused:
            await unit_students(org, a, admin, limit=limit)
        assert refused.value.field == "limit"
    for query in (
        {"class_id": school["NA22"].id},
        {"class_id": school["5A"].id, "school_year_id": school["year"].id},
    ):
        with pytest.raises(InvalidArgument) as refused:
            await unit_students(org, a, admin, **query)
        assert refused.value.field == "class_id"


async def test_the_list_is_for_admins_subadmins_and_callers_who_may_read_the_unit_and_is_not_logged(
    org, school, pupils, engine
):
    assert len((await unit_students(org, school["a"].id, school["nurse"])).students) == 4
    subadmin = await user_with_level(org, ipb.PERMISSION_LEVEL_SUBADMIN)
    assert len((await unit_students(org, school["b"].id, subadmin)).students) == 1
    with pytest.raises(PermissionDenied):
        await unit_students(org, school["b"].id, school["nurse"])
    async with engine.connect() as conn:
        rows = await conn.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.unit_id.in_([school["a"].id, school["b"].id]))
            .where(AccessLogEntry.action.not_in(["place_student", "archive_student"]))
        )
    assert rows == 0


async def test_another_organisations_unit_class_and_school_year_are_not_found_in_the_list(
    services, org, school
):
    other = await new_org(services)
    their_unit = await other.unit()
    their_year = await school_year(other, "2040/41")
    their_class = await school_class(other, their_unit.id, their_year.id, "4A")
    await other.student(their_unit.id, 7)
    with pytest.raises(NotFound) as unit:
        await unit_students(org, their_unit.id, org.admin)
    assert unit.value.field == "unit_id"
    for query, field in [
        ({"class_id": their_class.id}, "class_id"),
        ({"school_year_id": their_year.id}, "school_year_id"),
    ]:
        with pytest.raises(NotFound) as hidden:
            await unit_students(org, school["a"].id, org.admin, **query)
        assert hidden.value.field == field
