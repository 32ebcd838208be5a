"""Reading a user-import file: hostile XML is refused, structure is checked against our XSD.

The XSD is checked by libxml2 (through lxml), which reads a 100,000-user file in well under a second.
"""

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from services.imports.domain.codes import INVALID_FORMAT, NOT_XML

NAMESPACE = "urn:elevhalsa:user-import:1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "user-import-v1.xsd"
_NS = f"{{{NAMESPACE}}}"


class UserFileError(Exception):
    """The file as a whole cannot be used; nothing from it is applied."""

    def __init__(self, code: int, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class FileAssignment:
    role_external_id: str
    unit_external_id: str | None  # None with all_units
    all_units: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class FileUser:
    position: int  # 1-based order in the file, for messages about users without an id
    external_id: str | None
    first_name: str
    last_name: str
    email: str | None
    active: bool
    assignments: tuple[FileAssignment, ...]


@functools.cache
def user_import_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), secure_parser()))


def secure_parser() -> etree.XMLParser:
    """No entity expansion, no DTD loading, no network, no huge-tree mode."""
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """The document's root element; 10011 if it is not well-formed XML or declares a DTD or entities."""
    if not data.strip():
        raise UserFileError(NOT_XML, "the file is empty")
    try:
        root = etree.fromstring(data, secure_parser())
    except etree.XMLSyntaxError as error:
        raise UserFileError(NOT_XML, f"not well-formed XML: {error.msg} (line {error.lineno})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UserFileError(NOT_XML, "a DOCTYPE (DTD or entity declarations) is not allowed in the file")
    return root


def validate(root: etree._Element) -> None:
    """10012 with the first violation, its line and place, if the document does not follow the XSD."""
    if root.tag != f"{_NS}users":
        raise UserFileError(INVALID_FORMAT, f'the root element must be <users xmlns="{NAMESPACE}">')
    schema = user_import_schema()
    if schema.validate(root):
        return
    error = schema.error_log[0]
    message = error.message.replace(_NS, "")
    raise UserFileError(
        INVALID_FORMAT, f"{message} (line {error.line}, at {readable_path(root, error.path)})"
    )


def readable_path(root: etree._Element, xpath: str) -> str:
    """/users/user[3]/active rather than libxml2's /*/*[3]/*[5]."""
    found = root.getroottree().xpath(xpath) if xpath else []
    if not found:
        return xpath or "/"
    parts, element = [], found[0]
    while element is not None:
        name, parent = etree.QName(element).localname, element.getparent()
        if parent is not None and name in ("user", "assignment"):
            name = f"{name}[{[c for c in parent if c.tag == element.tag].index(element) + 1}]"
        parts.append(name)
        element = parent
    return "/" + "/".join(reversed(parts))


def parse_user_file(data: bytes) -> list[FileUser]:
    """The users of a file, in file order."""
    root = parse_xml(data)
    validate(root)
    return [
        read_user(element, position) for position, element in enumerate(root.iterchildren(f"{_NS}user"), 1)
    ]


def _texts(element: etree._Element) -> dict[str, etree._Element | str]:
    """Local name → trimmed text of each child (or the child itself, for containers)."""
    children = {}
    for child in element:
        name = child.tag[len(_NS) :] if isinstance(child.tag, str) else ""
        children[name] = child if len(child) else (child.text or "").strip()
    return children


def _day(value) -> date | None:
    return date.fromisoformat(value) if value else None


def read_assignment(element: etree._Element) -> FileAssignment:
    fields = _texts(element)
    return FileAssignment(
        role_external_id=fields.get("roleId") or "",
        unit_external_id=fields.get("unitId"),
        all_units="allUnits" in fields,
        valid_from=_day(fields.get("from")),
        valid_to=_day(fields.get("to")),
    )


def read_user(element: etree._Element, position: int) -> FileUser:
    fields = _texts(element)
    container = fields.get("assignments")
    assignments = (
        tuple(read_assignment(a) for a in container) if isinstance(container, etree._Element) else ()
    )
    return FileUser(
        position=position,
        external_id=fields.get("externalId") or None,
        first_name=fields.get("firstName") or "",
        last_name=fields.get("lastName") or "",
        email=fields.get("email") or None,
        active=fields.get("active") in ("true", "1"),
        assignments=assignments,
    )
