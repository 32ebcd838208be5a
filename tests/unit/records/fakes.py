"""Records' handlers without PostgreSQL or gRPC: a fake repository and unit of work over an in-memory journal, and
fake authz and identity clients that note whether a unit of work was open when they were asked."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from services.common.auth import Caller, PermissionLevel
from services.common.errors import NotFound
from services.records.adapters.clients import NoteFilter
from services.records.adapters.orm import AccessLogEntry, Folder, Note, NoteRow, Student


@dataclass
class Journal:
    """What a committed transaction leaves behind."""

    students: list[Student] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    note_rows: list[NoteRow] = field(default_factory=list)
    access_log: list[AccessLogEntry] = field(default_factory=list)
    events: list = field(default_factory=list)

    def table(self, kind: type) -> list:
        tables = {
            Student: self.students,
            Folder: self.folders,
            Note: self.notes,
            NoteRow: self.note_rows,
            AccessLogEntry: self.access_log,
        }
        return tables[kind]


class FakeRepository:
    """RecordsRepository's methods over the journal; rows added are staged in the unit of work."""

    def __init__(self, uow: "FakeUnitOfWork", org_id: uuid.UUID):
        self.uow = uow
        self.org_id = org_id

    def _visible(self, kind: type) -> list:
        committed = self.uow.journal.table(kind)
        staged = [row for row in self.uow.staged if isinstance(row, kind)]
        return [row for row in committed + staged if row.org_id == self.org_id]

    async def student(self, student_id: uuid.UUID) -> Student:
        return self._one(Student, student_id, "student", "student_id")

    async def folder(self, folder_id: uuid.UUID) -> Folder:
        return self._one(Folder, folder_id, "folder", "folder_id")

    def _one(self, kind: type, row_id: uuid.UUID, what: str, field: str):
        for row in self._visible(kind):
            if row.id == row_id:
                return row
        raise NotFound(f"{what} not found", field=field)

    async def folders(self) -> list[Folder]:
        return sorted(self._visible(Folder), key=lambda folder: folder.name)

    async def folder_named(self, name: str) -> Folder | None:
        return next((f for f in self._visible(Folder) if f.name == name), None)

    async def student_at_unit(self, unit_id: uuid.UUID, personnummer: str) -> Student | None:
        students = self._visible(Student)
        return next((s for s in students if (s.unit_id, s.personnummer) == (unit_id, personnummer)), None)

    async def insert_student(self, student: Student) -> bool:
        if await self.student_at_unit(student.unit_id, student.personnummer):
            return False
        self.add(student)
        return True

    async def note_headers(self, student_id: uuid.UUID, folder_id: uuid.UUID) -> list[Note]:
        notes = self._visible(Note)
        return [n for n in notes if (n.student_id, n.folder_id) == (student_id, folder_id)]

    async def rows_of(self, note_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoteRow]]:
        rows: dict[uuid.UUID, list[NoteRow]] = defaultdict(list)
        for row in sorted(self._visible(NoteRow), key=lambda r: r.position):
            if row.note_id in note_ids:
                rows[row.note_id].append(row)
        return {note_id: rows[note_id] for note_id in note_ids}

    def add(self, row) -> None:
        assert row.org_id == self.org_id, "a row of another organisation"
        self.uow.staged.append(row)

    async def add_note(self, note: Note, rows: list[NoteRow]) -> None:
        self.add(note)
        for row in rows:
            self.add(row)

    def append_to_access_log(self, entry: AccessLogEntry) -> None:
        self.add(entry)


class FakeUnitOfWork:
    """Stages rows and events until commit; leaving the block without commit drops them, as a rollback does."""

    def __init__(self, units: "FakeUnitsOfWork"):
        self.units = units
        self.journal = units.journal
        self.staged: list = []
        self.events: list = []

    async def __aenter__(self) -> "FakeUnitOfWork":
        self.units.open += 1
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.units.open -= 1
        self.staged, self.events = [], []

    def repository(self, org_id) -> FakeRepository:
        assert self.units.open, "the repository is used outside its unit of work"
        return FakeRepository(self, uuid.UUID(str(org_id)))

    def publish(self, org_id: str, event) -> None:
        self.events.append(event)

    async def commit(self) -> str:
        for row in self.staged:
            self.journal.table(type(row)).append(row)
        self.journal.events.extend(self.events)
        self.staged, self.events = [], []
        self.units.commits += 1
        return f"token-{self.units.commits}"


class FakeUnitsOfWork:
    """The factory handlers take: every call a new unit of work over the same journal."""

    def __init__(self, journal: Journal | None = None):
        self.journal = journal or Journal()
        self.open = 0
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeAuthz:
    """Allows what it is told to; notes, for every question, whether a unit of work was open meanwhile."""

    def __init__(self, units: FakeUnitsOfWork, *, readable: bool = True, writable: bool = False):
        self.units = units
        self.readable = readable
        self.writable = writable
        self.hidden: set[uuid.UUID] = set()
        self.open_while_asked: list[int] = []

    async def check(self, unit_id, folder_id, action: str, token: str) -> tuple[bool, str]:
        self.open_while_asked.append(self.units.open)
        allowed = self.writable if action == "write" else self.readable
        return allowed, "granted" if allowed else "no assignment"

    async def filter_notes(self, unit_id, folder_id, notes: list[Note], token: str) -> NoteFilter:
        self.open_while_asked.append(self.units.open)
        if not self.readable:
            return NoteFilter(False, set(), "no assignment")
        return NoteFilter(True, {str(n.id) for n in notes if n.id not in self.hidden}, "granted")


class FakeIdentity:
    """Knows some units; notes whether a unit of work was open when asked."""

    def __init__(self, units: FakeUnitsOfWork, known_units: set[uuid.UUID]):
        self.units = units
        self.known_units = known_units
        self.open_while_asked: list[int] = []

    async def require_unit(self, unit_id: uuid.UUID) -> None:
        self.open_while_asked.append(self.units.open)
        if unit_id not in self.known_units:
            raise NotFound("unit not found", field="unit_id")


ORG = uuid.UUID("00000000-0000-0000-0000-00000000000a")


def caller(level: PermissionLevel = PermissionLevel.MEMBER) -> Caller:
    return Caller(user_id=str(uuid.uuid4()), org_id=str(ORG), permission_level=level, token="t")
