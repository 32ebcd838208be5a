"""School years, classes, placements and the unit's student list over HTTP, as a school's staff would use them."""

import jwt
import pytest

from deploy.local.demo import personnummer_for
from services.common import clock
from services.records.domain.school import standard_school_year
from tests.support.api import Tenant

CONTACT = {
    "street_address": "Storgatan 1",
    "postcode": "123 45",
    "city": "Stockholm",
    "country": "Sverige",
    "phone_numbers": ["070-123 45 67"],
    "email": "hem@example.se",
}
NO_CONTACT = {
    "street_address": None,
    "postcode": None,
    "city": None,
    "country": None,
    "phone_numbers": [],
    "email": None,
}


@pytest.fixture(scope="module")
def school(api, stack):
    """An organisation of its own: Sätraskolan (4A, 4B this year, 5A next) and Björkhagen (NA22), a nurse at
    Sätraskolan, and five students there (one with protected identity)."""
    tenant = Tenant(api, stack)
    a, b = tenant.unit("Sätraskolan"), tenant.unit("Björkhagens gymnasium")
    role, folder = tenant.role("Skolsköterska"), tenant.folder("Medicinsk journal")
    tenant.grant(role["id"], folder["id"])
    nurse, email = tenant.user(first_name="Sara", last_name="Lind")
    tenant.assign(nurse["id"], role["id"], a["id"])
    year = api.call("GET", "/api/v1/school-years/current", tenant.admin).json()
    first = int(year["name"][:4])
    next_year = tenant.create("/api/v1/school-years", {"name": f"{first + 1}/{(first + 2) % 100:02d}"})

    def school_class(unit, school_year, name):
        body = {"unit_id": unit["id"], "school_year_id": school_year["id"], "name": name}
        return tenant.create("/api/v1/classes", body)

    def student(first_name, last_name, born, serial, **fields):
        body = {
            "unit_id": a["id"],
            "personnummer": personnummer_for(born, serial),
            "first_name": first_name,
            "last_name": last_name,
            **fields,
        }
        return tenant.create("/api/v1/students", body)

    return {
        "tenant": tenant,
        "a": a,
        "b": b,
        "role": role,
        "nurse": api.login(email),
        "year": year,
        "next_year": next_year,
        "4A": school_class(a, year, "4A"),
        "4B": school_class(a, year, "4B"),
        "5A": school_class(a, next_year, "5A"),
        "NA22": school_class(b, year, "NA22"),
        "alva": student("Alva", "Nilsson", "20150312", 401, **CONTACT),
        "elias": student("Elias", "Johansson", "20140721", 402),
        "omar": student("Omar", "Hassan", "20140930", 403),
        "ada": student("Ada", "Nilsson", "20150101", 404),
        "hemlig": student("Hemlig", "Person", "20150505", 405, protected_identity=True, **CONTACT),
    }


def place(api, school, student, year, school_class, grade, expect=200):
    reply = api.call(
        "PUT",
        f"/api/v1/students/{student['id']}/placements/{year['id']}",
        school["tenant"].admin,
        json={"class_id": school_class["id"] if school_class else None, "grade": grade},
    )
    assert reply.status_code == expect, reply.text
    return reply.json()


def students_of(api, school, token, unit=None, **query):
    unit = unit or school["a"]
    return api.call("GET", f"/api/v1/units/{unit['id']}/students", token, params=query)


def test_the_current_school_year_follows_the_standard_rule(api, school):
    expected = standard_school_year(clock.today())
    year = school["year"]
    assert (year["name"], year["starts_on"], year["ends_on"], year["current"]) == (
        expected.name,
        expected.starts_on.isoformat(),
        expected.ends_on.isoformat(),
        True,
    )
    listed = api.call("GET", "/api/v1/school-years", school["nurse"]).json()["school_years"]
    assert [(y["id"], y["current"]) for y in listed] == [
        (school["next_year"]["id"], False),
        (year["id"], True),
    ]
    overlapping = api.call(
        "POST",
        "/api/v1/school-years",
        school["tenant"].admin,
        json={"name": year["name"], "starts_on": year["starts_on"], "ends_on": year["ends_on"]},
    )
    assert overlapping.status_code == 409 and overlapping.json()["field"] == "name"


def test_placements_across_two_years_are_kept_newest_first(api, school):
    alva = school["alva"]
    place(api, school, alva, school["year"], school["4A"], 4)
    moved = place(api, school, alva, school["next_year"], school["5A"], 5)
    assert (moved["class"]["name"], moved["grade"], moved["school_year"]["id"]) == (
        "5A",
        5,
        school["next_year"]["id"],
    )
    wrong_year = place(api, school, alva, school["year"], school["5A"], 4, expect=400)
    assert wrong_year["field"] == "class_id"
    assert place(api, school, alva, school["year"], None, 14, expect=422)["field"] == "grade"
    read = api.call("GET", f"/api/v1/students/{alva['id']}", school["nurse"]).json()
    assert [(p["school_year"]["name"], p["class"]["name"], p["grade"]) for p in read["placements"]] == [
        (school["next_year"]["name"], "5A", 5),
        (school["year"]["name"], "4A", 4),
    ]


def test_a_unit_lists_its_students_a_page_at_a_time_with_filters(api, school):
    place(api, school, school["elias"], school["year"], school["4A"], 4)
    place(api, school, school["omar"], school["year"], school["4B"], 4)
    place(api, school, school["alva"], school["year"], school["4A"], 4)
    place(api, school, school["alva"], school["next_year"], school["5A"], 5)
    seen, cursor = [], None
    for _ in range(5):
        reply = students_of(api, school, school["nurse"], limit=2, **({"cursor": cursor} if cursor else {}))
        assert reply.status_code == 200, reply.text
        page = reply.json()
        seen.extend(page["students"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(s["last_name"], s["first_name"]) for s in seen] == [
        ("Hassan", "Omar"),
        ("Johansson", "Elias"),
        ("Nilsson", "Ada"),
        ("Nilsson", "Alva"),
        ("Person", "Hemlig"),
    ]
    alva = next(s for s in seen if s["id"] == school["alva"]["id"])
    assert (alva["class"], alva["grade"], alva["personnummer"]) == (
        {"id": school["4A"]["id"], "name": "4A"},
        4,
        school["alva"]["personnummer"],
    )
    assert page["school_year_id"] == school["year"]["id"]

    def names(**query):
        reply = students_of(api, school, school["nurse"], **query)
        assert reply.status_code == 200, reply.text
        return [s["first_name"] for s in reply.json()["students"]]

    assert names(class_id=school["4A"]["id"]) == ["Elias", "Alva"]
    assert names(name="nils") == ["Ada", "Alva"]
    assert names(name="%") == []
    assert names(school_year_id=school["next_year"]["id"], class_id=school["5A"]["id"]) == ["Alva"]
    tampered = students_of(api, school, school["nurse"], cursor=cursor or "eyJub3QiOiAiYSBjdXJzb3IifQ")
    assert tampered.status_code == 400 and tampered.json()["field"] == "cursor"
    assert students_of(api, school, school["nurse"], limit=500).status_code == 422
    elsewhere = students_of(api, school, school["nurse"], class_id=school["NA22"]["id"])
    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "class_id"


def test_only_those_who_may_read_the_unit_see_its_students(api, school):
    outsider, email = school["tenant"].user()
    assert students_of(api, school, api.login(email)).status_code == 403
    assert students_of(api, school, school["nurse"], unit=school["b"]).status_code == 403
    assert students_of(api, school, school["tenant"].admin, unit=school["b"]).status_code == 200


def test_protected_identity_hides_contact_data_from_the_nurse_but_not_from_the_admin(api, school):
    hemlig, tenant = school["hemlig"], school["tenant"]
    as_nurse = api.call("GET", f"/api/v1/students/{hemlig['id']}", school["nurse"]).json()
    assert as_nurse["protected_identity"] is True
    assert {k: as_nurse[k] for k in NO_CONTACT} == NO_CONTACT
    assert as_nurse["first_name"] == "Hemlig"
    admin_id = jwt.decode(tenant.admin, options={"verify_signature": False})["sub"]
    tenant.assign(admin_id, school["role"]["id"], school["a"]["id"])
    as_admin = api.call("GET", f"/api/v1/students/{hemlig['id']}", tenant.admin, tenant.consistency).json()
    assert {k: as_admin[k] for k in CONTACT} == CONTACT
    alva = api.call("GET", f"/api/v1/students/{school['alva']['id']}", school["nurse"]).json()
    assert alva["city"] == "Stockholm" and alva["phone_numbers"] == ["070-123 45 67"]


def test_a_patch_changes_the_fields_given_and_refuses_bad_contact_data(api, school):
    path, admin = f"/api/v1/students/{school['ada']['id']}", school["tenant"].admin
    changed = api.call(
        "PATCH", path, admin, json={"city": "Lund", "phone_numbers": ["+46 46 123 45"], "never_archive": True}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["first_name"], body["city"], body["phone_numbers"], body["never_archive"]) == (
        "Ada",
        "Lund",
        ["+46 46 123 45"],
        True,
    )
    cleared = api.call("PATCH", path, admin, json={"city": None}).json()
    assert cleared["city"] is None and cleared["phone_numbers"] == ["+46 46 123 45"]
    for bad, field in [
        ({"city": "Lu\u0000nd"}, "city"),
        ({"email": "inte-en-adress"}, "email"),
        ({"phone_numbers": ["ring mig"]}, "phone_numbers.0"),
        ({"phone_numbers": ["1", "2", "3", "4"]}, "phone_numbers"),
        ({"first_name": None}, "first_name"),
        ({"shoe_size": 38}, "shoe_size"),
    ]:
        refused = api.call("PATCH", path, admin, json=bad)
        assert refused.status_code == 422 and refused.json()["field"] == field, (bad, refused.text)
    assert api.call("PATCH", path, school["nurse"], json={"city": "Malmö"}).status_code == 403


def test_archive_and_unarchive_move_a_student_between_the_lists(api, school):
    omar, admin = school["omar"], school["tenant"].admin
    assert api.call("POST", f"/api/v1/students/{omar['id']}/archive", school["nurse"]).status_code == 403
    archived = api.call("POST", f"/api/v1/students/{omar['id']}/archive", admin)
    assert archived.status_code == 200 and archived.json()["archived"] is True

    def ids(**query):
        return [s["id"] for s in students_of(api, school, admin, **query).json()["students"]]

    assert omar["id"] not in ids() and ids(archived="true") == [omar["id"]]
    unarchived = api.call("POST", f"/api/v1/students/{omar['id']}/unarchive", admin)
    assert unarchived.json()["archived"] is False
    assert omar["id"] in ids() and ids(archived="true") == []


def test_student_groups_hold_students_of_their_unit(api, school):
    tenant = school["tenant"]
    group = tenant.create(
        "/api/v1/student-groups", {"unit_id": school["a"]["id"], "name": "Kör", "external_id": "SIS-17"}
    )
    path = f"/api/v1/student-groups/{group['id']}/students/{school['elias']['id']}"
    assert api.call("PUT", path, tenant.admin).json()["members"] == [
        {"id": school["elias"]["id"], "first_name": "Elias", "last_name": "Johansson"}
    ]
    assert [
        m["id"]
        for m in api.call("GET", f"/api/v1/student-groups/{group['id']}", school["nurse"]).json()["members"]
    ] == [school["elias"]["id"]]
    assert api.call("DELETE", path, tenant.admin).json()["members"] == []
    taken = api.call(
        "POST",
        "/api/v1/student-groups",
        tenant.admin,
        json={"unit_id": school["a"]["id"], "name": "X", "external_id": "SIS-17"},
    )
    assert taken.status_code == 409 and taken.json()["field"] == "external_id"


def test_another_organisations_ids_are_not_found(api, stack, school):
    other = Tenant(api, stack)
    unit = other.unit()
    year = other.create("/api/v1/school-years", {"name": "2040/41"})
    school_class = other.create(
        "/api/v1/classes", {"unit_id": unit["id"], "school_year_id": year["id"], "name": "4A"}
    )
    group = other.create("/api/v1/student-groups", {"unit_id": unit["id"], "name": "Kör"})
    student = other.create(
        "/api/v1/students",
        {
            "unit_id": unit["id"],
            "personnummer": personnummer_for("20150312", 499),
            "first_name": "A",
            "last_name": "B",
        },
    )
    admin, a = school["tenant"].admin, school["a"]
    attempts = [
        ("GET", f"/api/v1/units/{unit['id']}/students", None, "unit_id"),
        ("GET", f"/api/v1/units/{a['id']}/students?class_id={school_class['id']}", None, "class_id"),
        ("GET", f"/api/v1/units/{a['id']}/students?school_year_id={year['id']}", None, "school_year_id"),
        ("GET", f"/api/v1/classes/{school_class['id']}", None, "class_id"),
        ("GET", f"/api/v1/classes?school_year_id={year['id']}", None, "school_year_id"),
        ("GET", f"/api/v1/student-groups/{group['id']}", None, "group_id"),
        ("PATCH", f"/api/v1/students/{student['id']}", {"city": "Lund"}, "student_id"),
        ("POST", f"/api/v1/students/{student['id']}/archive", None, "student_id"),
        (
            "PUT",
            f"/api/v1/students/{school['alva']['id']}/placements/{year['id']}",
            {"grade": 4},
            "school_year_id",
        ),
        (
            "PUT",
            f"/api/v1/students/{school['alva']['id']}/placements/{school['year']['id']}",
            {"class_id": school_class["id"]},
            "class_id",
        ),
        ("PUT", f"/api/v1/student-groups/{group['id']}/students/{school['alva']['id']}", None, "group_id"),
        (
            "POST",
            "/api/v1/classes",
            {"unit_id": unit["id"], "school_year_id": school["year"]["id"], "name": "4C"},
            "unit_id",
        ),
    ]
    for method, path, body, field in attempts:
        reply = api.call(method, path, admin, json=body) if body else api.call(method, path, admin)
        assert reply.status_code == 404 and reply.json()["field"] == field, (method, path, reply.text)
        assert "Kör" not in reply.text and "4A" not in reply.text
