"""Reading a user-import file: hostile XML is refused, structure is checked against our XSD.

The XSD is checked by libxml2 (through lxml), which reads a 100,000-user file in well under a second. A file is
read streaming (each user is dropped from the tree once read), so memory follows the users, not the file; only a
file that fails is read whole again, to name the line and place of its first problem.
"""

import copy
import functools
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from services.imports.domain.codes import INVALID_FORMAT, NOT_XML

NAMESPACE = "urn:elevhalsa:user-import:1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "user-import-v1.xsd"
_NS = f"{{{NAMESPACE}}}"
BATCH = 1000  # users validated at a time


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


# No entity expansion, no DTD loading, no network, no huge-tree mode.
SECURE = dict(
    resolve_entities=False,
    load_dtd=False,
    no_network=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(**SECURE)


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
    """The users of a file's content, in file order."""
    return read_user_file(io.BytesIO(data), lambda: data)


def read_user_file_at(path: Path) -> list[FileUser]:
    """The users of a file on disk, in file order."""
    with path.open("rb") as stream:
        return read_user_file(stream, path.read_bytes)


def read_user_file(stream, content) -> list[FileUser]:
    """The users read streaming from `stream`; `content()` gives the whole file, only to explain a failure.

    The XSD is checked on batches of the root's children: the schema constrains each user, not users together,
    so a file is valid exactly when every batch is (and the root holds no text of its own).
    """
    users: list[FileUser] = []
    batch = etree.Element(f"{_NS}users")
    depth = 0
    try:
        for event, element in etree.iterparse(stream, events=("start", "end"), **SECURE):
            if event == "start":
                depth += 1
                if depth == 1:
                    check_root(element)
                continue
            depth -= 1
            if depth == 0 and ((element.text or "").strip() or element.attrib):
                raise UserFileError(INVALID_FORMAT, "text or attributes on the root element")
            if depth == 1:
                if (element.tail or "").strip():
                    raise UserFileError(INVALID_FORMAT, "text outside a user element")
                kept = copy.deepcopy(element)
                kept.tail = None  # whitespace between users, which can be most of a file
                batch.append(kept)
                element.clear()
                while element.getprevious() is not None:  # the children already read
                    del element.getparent()[0]
                if len(batch) == BATCH:
                    users.extend(read_batch(batch, len(users)))
                    batch = etree.Element(f"{_NS}users")
        if len(batch) or not users:
            users.extend(read_batch(batch, len(users)))
    except (etree.XMLSyntaxError, UserFileError) as error:
        raise explained(content(), error) from None
    return users


def read_batch(batch: etree._Element, before: int) -> list[FileUser]:
    if not user_import_schema().validate(batch):
        raise UserFileError(INVALID_FORMAT, batch_error())
    return [read_user(element, before + position) for position, element in enumerate(batch, 1)]


def batch_error() -> str:
    return user_import_schema().error_log[0].message.replace(_NS, "")


def check_root(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UserFileError(NOT_XML, "a DOCTYPE (DTD or entity declarations) is not allowed in the file")
    if root.tag != f"{_NS}users":
        raise UserFileError(INVALID_FORMAT, f'the root element must be <users xmlns="{NAMESPACE}">')


def explained(data: bytes, error: Exception) -> UserFileError:
    """The failure of a streaming read as the whole-file checks name it (with its line and place)."""
    try:
        validate(parse_xml(data))
    except UserFileError as precise:
        return precise
    if isinstance(error, UserFileError):
        return error
    return UserFileError(INVALID_FORMAT, str(getattr(error, "msg", error)).replace(_NS, ""))


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
