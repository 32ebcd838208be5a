"""User-import XML files for tests, built from plain dictionaries."""

from xml.sax.saxutils import escape

NAMESPACE = "urn:elevhalsa:user-import:1"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><users xmlns="urn:elevhalsa:user-import:1"><user><externalId>&lol9;</externalId>'
    b"<firstName>A</firstName><lastName>B</lastName><active>true</active></user></users>"
)

EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE users [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<users xmlns="urn:elevhalsa:user-import:1"><user><externalId>&secret;</externalId>'
    b"<firstName>A</firstName><lastName>B</lastName><active>true</active></user></users>"
)


def assignment_xml(assignment: dict) -> str:
    target = f"<unitId>{assignment['unit']}</unitId>" if assignment.get("unit") else "<allUnits/>"
    period = "".join(f"<{tag}>{assignment[tag]}</{tag}>" for tag in ("from", "to") if assignment.get(tag))
    return f"<assignment><roleId>{assignment['role']}</roleId>{target}{period}</assignment>"


def user_xml(user: dict) -> str:
    parts = []
    if user.get("external_id") is not None:
        parts.append(f"<externalId>{escape(user['external_id'])}</externalId>")
    parts.append(f"<firstName>{escape(user.get('first_name', 'Förnamn'))}</firstName>")
    parts.append(f"<lastName>{escape(user.get('last_name', 'Efternamn'))}</lastName>")
    if user.get("email"):
        parts.append(f"<email>{escape(user['email'])}</email>")
    parts.append(f"<active>{'true' if user.get('active', True) else 'false'}</active>")
    if user.get("assignments"):
        parts.append(
            "<assignments>" + "".join(assignment_xml(a) for a in user["assignments"]) + "</assignments>"
        )
    return "<user>" + "".join(parts) + "</user>"


def user_file(users: list[dict]) -> bytes:
    body = "".join(user_xml(u) for u in users)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<users xmlns="{NAMESPACE}">{body}</users>'.encode()
