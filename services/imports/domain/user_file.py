"""Reading a user-import file: hostile XML is refused, structure is checked against our XSD."""

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import xmlschema
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
def user_import_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


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
    """10012 with the first violation if the document does not follow the user-import XSD."""
    if root.tag != f"{_NS}users":
        raise UserFileError(INVALID_FORMAT, f'the root element must be <users xmlns="{NAMESPACE}">')
    error = next(user_import_schema().iter_errors(root), None)
    if error is not None:
        where = f" at {error.path}" if error.path else ""
        raise UserFileError(INVALID_FORMAT, f"{error.reason}{where}")


def parse_user_file(data: bytes) -> list[FileUser]:
    """The users of a file, in file order."""
    root = parse_xml(data)
    validate(root)
    return [
        read_user(element, position) for position, element in enumerate(root.iterchildren(f"{_NS}user"), 1)
    ]


def _text(parent: etree._Element, name: str) -> str | None:
    child = parent.find(f"{_NS}{name}")
    if child is None:
        return None
    return (child.text or "").strip()


def _date(parent: etree._Element, name: str) -> date | None:
    value = _text(parent, name)
    return date.fromisoformat(value) if value else None


def read_user(element: etree._Element, position: int) -> FileUser:
    assignments = tuple(
        FileAssignment(
            role_external_id=_text(a, "roleId") or "",
            unit_external_id=_text(a, "unitId"),
            all_units=a.find(f"{_NS}allUnits") is not None,
            valid_from=_date(a, "from"),
            valid_to=_date(a, "to"),
        )
        for a in element.iterfind(f"{_NS}assignments/{_NS}assignment")
    )
    return FileUser(
        position=position,
        external_id=_text(element, "externalId") or None,
        first_name=_text(element, "firstName") or "",
        last_name=_text(element, "lastName") or "",
        email=_text(element, "email") or None,
        active=_text(element, "active") in ("true", "1"),
        assignments=assignments,
    )
