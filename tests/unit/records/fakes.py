"""Records' handlers without PostgreSQL or gRPC: a fake repository and unit of work over an in-memory journal, and
fake authz and identity clients that note whether a unit of work was open when they were asked.

A unit of work reads its own copies of the journal's rows, as a session does: what a handler changes in them, adds
or removes reaches the journal only at commit, and leaving the block without commit drops it, as a rollback does.
"""

import copy
import inspect
import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy
from elevhalsa.authz.v1 import authz_pb2
from sqlalchemy.sql.elements import TextClause

from services.authz.domain.memory import AuthzModel
from services.common import clock
from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.errors import NotFound, PermissionDenied
from services.records.adapters.clients import NoteFilter, OrganisationSettings, VisibleUnits
from services.records.adapters.note_queries import NotePage, rows_as_json
from services.records.adapters.orm import (
    AccessLogEntry,
    AddressBookEntry,
    CaseType,
    ContactType,
    Folder,
    FolderChain,
    MemoryNote,
    Note,
    NoteLink,
    NoteRow,
    NoteTemplate,
    NoteVersion,
    PostIt,
    Student,
    TemplateMenu,
    TemplateVersion,
)
from services.records.domain.post_its import Receiver
from tests.unit.fake_admin_rights import FakeAdminRights


@dataclass
class Batch:
    """What one commit wrote: rows added, rows changed, rows removed and events published."""

    added: list
    changed: list
    removed: list
    events: list

    def kinds(self) -> set[str]:
        """The tables the commit touched (by model name) and the events it published (by message name)."""
        rows = self.added + self.changed + self.removed
        return {type(row).__name__ for row in rows} | {type(event).__name__ for event in self.events}


@dataclass
class Journal:
    """What committed transactions leave behind, and what each commit wrote."""

    students: list[Student] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    note_versions: list[NoteVersion] = field(default_factory=list)
    note_rows: list[NoteRow] = field(default_factory=list)
    note_links: list[NoteLink] = field(default_factory=list)
    folder_chains: list[FolderChain] = field(default_factory=list)
    templates: list[NoteTemplate] = field(default_factory=list)
    template_versions: list[TemplateVersion] = field(default_factory=list)
    template_menus: list[TemplateMenu] = field(default_factory=list)
    address_book: list[AddressBookEntry] = field(default_factory=list)
    contact_types: list[ContactType] = field(default_factory=list)
    post_its: list[PostIt] = field(default_factory=list)
    memory_notes: list[MemoryNote] = field(default_factory=list)
    case_types: list[CaseType] = field(default_factory=list)
    access_log: list[AccessLogEntry] = field(default_factory=list)
    events: list = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)

    def table(self, kind: type) -> list:
        tables = {
            Student: self.students,
            Folder: self.folders,
            Note: self.notes,
            NoteVersion: self.note_versions,
            NoteRow: self.note_rows,
            NoteLink: self.note_links,
            FolderChain: self.folder_chains,
            NoteTemplate: self.templates,
            TemplateVersion: self.template_versions,
            TemplateMenu: self.template_menus,
            AddressBookEntry: self.address_book,
            ContactType: self.contact_types,
            PostIt: self.post_its,
            MemoryNote: self.memory_notes,
            CaseType: self.case_types,
            AccessLogEntry: self.access_log,
        }
        return tables[kind]


# Rows as the database keeps them ----------------------------------------------------------------------------


def columns(row) -> dict:
    return {attr.key: getattr(row, attr.key) for attr in sqlalchemy.inspect(type(row)).column_attrs}


def copy_of(row):
    """A separate instance with the same column values (JSON values copied too)."""
    twin = type(row)()
    for key, value in columns(row).items():
        setattr(twin, key, copy.deepcopy(value))
    return twin


_serial = itertools.count(1)


def with_defaults(row):
    """The row as an INSERT leaves it: the columns' Python and server defaults filled in where unset."""
    for attr in sqlalchemy.inspect(type(row)).column_attrs:
        column = attr.columns[0]
        if getattr(row, attr.key) is not None:
            continue
        if column.default is not None and column.default.is_callable:
            setattr(row, attr.key, column.default.arg(None))
        elif column.server_default is not None:
            setattr(row, attr.key, server_default(column.server_default.arg))
        elif column.primary_key and column.autoincrement is True:
            setattr(row, attr.key, next(_serial))
    return row


def server_default(arg):
    if not isinstance(arg, TextClause):
        return clock.utcnow()  # func.now()
    text = arg.text
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("'"):
        return text.strip("'")
    return int(text)


def newest_first(note: Note) -> tuple:
    return (note.event_date, note.created_at, note.id)


class FakeRepository:
    """RecordsRepository's methods over the journal, through the unit of work's copies of its rows."""

    def __init__(self, uow: "FakeUnitOfWork", org_id: uuid.UUID):
        self.uow = uow
        self.org_id = org_id

    def _visible(self, kind: type) -> list:
        return self.uow.visible(kind, self.org_id)

    def _one(self, kind: type, row_id: uuid.UUID, what: str, field: str):
        for row in self._visible(kind):
            if row.id == row_id:
                return row
        raise NotFound(f"{what} not found", field=field)

    def add(self, row) -> None:
        assert row.org_id == self.org_id, "a row of another organisation"
        self.uow.staged.append(with_defaults(row))

    def add_all(self, rows: Iterable) -> None:
        for row in rows:
            self.add(row)

    async def flush(self) -> None:
        pass

    def append_to_access_log(self, entry: AccessLogEntry) -> None:
        self.add(entry)

    # Students and folders ----------------------------------------------------------------------------------

    async def student(self, student_id: uuid.UUID) -> Student:
        return self._one(Student, student_id, "student", "student_id")

    async def folder(self, folder_id: uuid.UUID) -> Folder:
        return self._one(Folder, folder_id, "folder", "folder_id")

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

    # Notes -------------------------------------------------------------------------------------------------

    async def note(self, note_id: uuid.UUID, *, for_update: bool = False) -> Note:
        return self._one(Note, note_id, "note", "note_id")

    async def notes(self, note_ids: list[uuid.UUID]) -> list[Note]:
        return [note for note in self._visible(Note) if note.id in note_ids]

    async def note_page(self, student_id: uuid.UUID, folder_id: uuid.UUID, page: NotePage) -> list[Note]:
        notes = [
            n
            for n in self._visible(Note)
            if (n.student_id, n.folder_id) == (student_id, folder_id)
            and (page.after is None or newest_first(n) < page.after)
            and (page.template_id is None or n.template_id == page.template_id)
            and (page.from_date is None or n.event_date >= page.from_date)
            and (page.to_date is None or n.event_date <= page.to_date)
            and (page.state is None or n.state == page.state)
        ]
        return sorted(notes, key=newest_first, reverse=True)[: page.limit]

    async def latest_signed_note(self, student_id: uuid.UUID, template_id: uuid.UUID) -> Note | None:
        signed = [
            n
            for n in self._visible(Note)
            if n.student_id == student_id and n.template_id == template_id and n.state != "draft"
        ]
        return max(signed, key=newest_first, default=None)

    async def versions(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], NoteVersion]:
        keys = set(keys)
        return {
            (v.note_id, v.version): v for v in self._visible(NoteVersion) if (v.note_id, v.version) in keys
        }

    async def versions_of(self, note_id: uuid.UUID) -> list[NoteVersion]:
        return sorted(
            (v for v in self._visible(NoteVersion) if v.note_id == note_id), key=lambda v: v.version
        )

    async def shown_versions(self, keys):
        """The versions found, each with its rows as JSON text."""
        versions = await self.versions(keys)
        rows = await self.shown_rows_json(list(versions))
        return {key: (version, rows[key]) for key, version in versions.items()}

    async def shown_rows_json(self, keys):
        """The rows of each version as the JSON text PostgreSQL builds."""
        return {key: rows_as_json(rows) for key, rows in (await self.rows_of(keys)).items()}

    async def rows_of(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], list[NoteRow]]:
        rows: dict[tuple[uuid.UUID, int], list[NoteRow]] = {key: [] for key in keys}
        for row in sorted(self._visible(NoteRow), key=lambda r: r.position):
            if (row.note_id, row.version) in rows:
                rows[(row.note_id, row.version)].append(row)
        return rows

    async def add_note(self, note: Note, version: NoteVersion, rows: list[NoteRow]) -> None:
        self.add(note)
        await self.add_version(version, rows)

    async def add_version(self, version: NoteVersion, rows: list[NoteRow]) -> None:
        self.add(version)
        self.add_all(rows)

    async def replace_rows(self, version: NoteVersion, rows: list[NoteRow]) -> None:
        assert version.status != "signed", "the trigger refuses changes to a signed version"
        for row in self._visible(NoteRow):
            if (row.note_id, row.version) == (version.note_id, version.version):
                self.uow.remove(row)
        self.add_all(rows)

    async def remove_version(self, version: NoteVersion) -> None:
        await self.replace_rows(version, [])
        self.uow.remove(version)

    async def remove_draft_note(self, note: Note, version: NoteVersion) -> None:
        await self.remove_version(version)
        for link in self._visible(NoteLink):
            if note.id in (link.from_note_id, link.to_note_id):
                self.uow.remove(link)
        self.uow.remove(note)

    async def chain_head(self, student_id: uuid.UUID, folder_id: uuid.UUID) -> FolderChain:
        head, _ = await self.chain(student_id, folder_id)
        if head is None:
            head = FolderChain(org_id=self.org_id, student_id=student_id, folder_id=folder_id)
            self.add(head)
        return head

    async def chain(
        self, student_id: uuid.UUID, folder_id: uuid.UUID
    ) -> tuple[FolderChain | None, list[NoteVersion]]:
        heads = self._visible(FolderChain)
        head = next((h for h in heads if (h.student_id, h.folder_id) == (student_id, folder_id)), None)
        in_folder = {
            n.id for n in self._visible(Note) if (n.student_id, n.folder_id) == (student_id, folder_id)
        }
        signed = [v for v in self._visible(NoteVersion) if v.note_id in in_folder and v.status == "signed"]
        return head, sorted(signed, key=lambda v: v.chain_position)

    async def links_of(self, note_id: uuid.UUID) -> list[NoteLink]:
        links = [link for link in self._visible(NoteLink) if note_id in (link.from_note_id, link.to_note_id)]
        return sorted(links, key=lambda link: link.created_at)

    # Templates, menus, address book and contact types ------------------------------------------------------

    async def template(self, template_id: uuid.UUID, *, for_update: bool = False) -> NoteTemplate:
        return self._one(NoteTemplate, template_id, "note template", "template_id")

    async def template_version(self, version_id: uuid.UUID) -> TemplateVersion:
        return self._one(TemplateVersion, version_id, "template version", "version_id")

    async def current_template_version(
        self, template_id: uuid.UUID, *, for_update: bool = False
    ) -> TemplateVersion:
        template = await self.template(template_id)
        for version in self._visible(TemplateVersion):
            if (version.template_id, version.version) == (template.id, template.current_version):
                return version
        raise NotFound("note template not found", field="template_id")

    async def mark_template_version_used(self, version_id: uuid.UUID) -> TemplateVersion:
        version = await self.template_version(version_id)
        version.in_use = True
        return version

    async def template_menus(self, menu_ids: list[uuid.UUID]) -> list[TemplateMenu]:
        menus = [menu for menu in self._visible(TemplateMenu) if menu.id in menu_ids]
        return sorted(menus, key=lambda menu: menu.name)

    async def address_entries(self, entry_ids: list[uuid.UUID]) -> list[AddressBookEntry]:
        return [entry for entry in self._visible(AddressBookEntry) if entry.id in entry_ids]

    async def contact_type(self, contact_type_id: uuid.UUID) -> ContactType:
        return self._one(ContactType, contact_type_id, "contact type", "contact_type_id")

    # Post-its ----------------------------------------------------------------------------------------------

    async def post_it(
        self, owner_id: uuid.UUID, post_it_id: uuid.UUID, *, for_update: bool = False
    ) -> PostIt:
        for post_it in self._visible(PostIt):
            if (post_it.owner_id, post_it.id) == (owner_id, post_it_id):
                return post_it
        raise NotFound("post-it not found", field="post_it_id")

    async def post_its(self, owner_id: uuid.UUID, limit: int, after=None) -> list[PostIt]:
        own = [
            p
            for p in self._visible(PostIt)
            if p.owner_id == owner_id and (after is None or (p.created_at, p.id) < after)
        ]
        return sorted(own, key=lambda p: (p.created_at, p.id), reverse=True)[:limit]

    async def remove_post_it(self, post_it: PostIt) -> None:
        self.uow.remove(post_it)

    # Memory notes ------------------------------------------------------------------------------------------

    async def memory_note(
        self,
        author_id: uuid.UUID,
        student_id: uuid.UUID,
        memory_note_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> MemoryNote:
        for note in self._visible(MemoryNote):
            if (note.author_id, note.student_id, note.id) == (author_id, student_id, memory_note_id):
                return note
        raise NotFound("memory note not found", field="memory_note_id")

    async def memory_notes(self, author_id: uuid.UUID, student_id: uuid.UUID) -> list[MemoryNote]:
        own = [n for n in self._visible(MemoryNote) if (n.author_id, n.student_id) == (author_id, student_id)]
        return sorted(own, key=lambda n: (n.created_at, n.id), reverse=True)

    async def remove_memory_note(self, memory_note: MemoryNote) -> None:
        self.uow.remove(memory_note)

    # Case types --------------------------------------------------------------------------------------------

    async def case_type(self, case_type_id: uuid.UUID) -> CaseType:
        return self._one(CaseType, case_type_id, "case type", "case_type_id")

    async def case_types(self, *, active: bool | None = None) -> list[CaseType]:
        found = [c for c in self._visible(CaseType) if active is None or c.active == active]
        return sorted(found, key=lambda c: (c.name.lower(), c.id))

    async def case_type_named(self, name: str) -> CaseType | None:
        return next((c for c in self._visible(CaseType) if c.name.lower() == name.lower()), None)

    async def check_case_type_references(self, folder_id: uuid.UUID, menu_id: uuid.UUID | None) -> None:
        self._one(Folder, folder_id, "folder", "folder_id")
        if menu_id is not None:
            self._one(TemplateMenu, menu_id, "template menu", "template_menu_id")


class FakeUnitOfWork:
    """Reads copies of the journal's rows and stages new ones; commit writes them all back at once, and leaving the
    block without commit drops them, as a rollback does."""

    def __init__(self, units: "FakeUnitsOfWork"):
        self.units = units
        self.journal = units.journal
        self._reset()

    def _reset(self) -> None:
        self.staged: list = []
        self.events: list = []
        self.copies: dict[int, tuple[object, object]] = {}  # id(journal row) -> (journal row, this copy)
        self.removed: dict[int, object] = {}  # id(journal row) -> journal row

    async def __aenter__(self) -> "FakeUnitOfWork":
        self.units.open += 1
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.units.open -= 1
        self._reset()

    def repository(self, org_id) -> FakeRepository:
        assert self.units.open, "the repository is used outside its unit of work"
        return FakeRepository(self, uuid.UUID(str(org_id)))

    def visible(self, kind: type, org_id: uuid.UUID) -> list:
        """The organisation's rows of the kind as this unit of work sees them (one copy per row)."""
        seen = [self._copy(row) for row in self.journal.table(kind) if id(row) not in self.removed]
        seen += [row for row in self.staged if isinstance(row, kind)]
        return [row for row in seen if row.org_id == org_id]

    def _copy(self, row):
        if id(row) not in self.copies:
            self.copies[id(row)] = (row, copy_of(row))
        return self.copies[id(row)][1]

    def remove(self, row) -> None:
        """Stage the removal of a row this unit of work read or added."""
        if any(row is staged for staged in self.staged):
            self.staged = [staged for staged in self.staged if staged is not row]
            return
        [original] = [original for original, twin in self.copies.values() if twin is row]
        self.removed[id(original)] = original

    def publish(self, org_id: str, event) -> None:
        self.events.append(event)

    async def commit(self) -> str:
        changed = []
        for original, twin in self.copies.values():
            if id(original) not in self.removed and columns(original) != columns(twin):
                for key, value in columns(twin).items():
                    setattr(original, key, copy.deepcopy(value))
                changed.append(original)
        for original in self.removed.values():
            table = self.journal.table(type(original))
            table[:] = [row for row in table if row is not original]
        for row in self.staged:
            self.journal.table(type(row)).append(row)
        self.journal.events.extend(self.events)
        self.journal.batches.append(Batch(self.staged, changed, list(self.removed.values()), self.events))
        self._reset()
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
    """Allows what it is told to; notes, for every question, whether a unit of work was open meanwhile.

    `writable` answers "write" (and the template menus it names, `menus`); "sign" needs `writable` and `may_sign`,
    as authz decides; `hidden` notes are left out of every filter; `meanwhile` (a function, or a coroutine function)
    runs once, at the next question, standing for what another user commits while authz answers."""

    def __init__(
        self,
        units: FakeUnitsOfWork,
        *,
        readable: bool = True,
        writable: bool = False,
        may_sign: bool = False,
        menus: Iterable[str] = (),
    ):
        self.units = units
        self.readable = readable
        self.writable = writable
        self.may_sign = may_sign
        self.menus = list(menus)
        self.asker = ""  # the caller's user id, for the questions that name users
        self.hidden: set[uuid.UUID] = set()
        self.meanwhile: Callable[[], object] | None = None
        self.open_while_asked: list[int] = []

    async def _asked(self) -> None:
        self.open_while_asked.append(self.units.open)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None and inspect.isawaitable(done := meanwhile()):
            await done

    async def check(self, unit_id, folder_id, action: str, token: str) -> tuple[bool, str]:
        await self._asked()
        allowed = {"read": self.readable, "write": self.writable, "sign": self.writable and self.may_sign}[
            action
        ]
        return allowed, "granted" if allowed else f"no grant to {action}"

    async def writable_menus(self, unit_id, folder_id, token: str) -> tuple[bool, str, list[str]]:
        allowed, reason = await self.check(unit_id, folder_id, "write", token)
        return allowed, reason, list(self.menus) if allowed else []

    async def visible_units(self, token: str) -> VisibleUnits:
        """`readable`: every unit's students."""
        await self._asked()
        return VisibleUnits(frozenset(), all_units=self.readable)

    async def who_can_see(self, unit_id, folder_id, token: str) -> authz_pb2.WhoCanSeeResponse:
        """`readable`: the caller may ask, and is the one user who can see."""
        await self._asked()
        if not self.readable:
            raise PermissionDenied("only administrators and readers of the folder may see who can")
        seer = authz_pb2.Seer(user_id=self.asker, assignment_id=str(uuid.uuid4()))
        return authz_pb2.WhoCanSeeResponse(seers=[seer])

    async def explain(
        self, user_id, unit_id, folder_id, action: str, token: str
    ) -> authz_pb2.ExplainResponse:
        """Anyone's own access; `readable`: anyone's. The answer is what `check` says."""
        if user_id is not None and str(user_id) != self.asker and not self.readable:
            await self._asked()
            raise PermissionDenied("only administrators may explain another user's access")
        allowed, reason = await self.check(unit_id, folder_id, action, token)
        return authz_pb2.ExplainResponse(user_id=str(user_id or self.asker), allowed=allowed, reason=reason)

    async def filter_notes(self, unit_id, folder_id, notes: list[Note], token: str) -> NoteFilter:
        await self._asked()
        if not self.readable:
            return NoteFilter(False, set(), "no grant to read")
        return NoteFilter(True, {str(n.id) for n in notes if n.id not in self.hidden}, "granted")


class FakeIdentity:
    """Knows some units and the organisation's settings; notes whether a unit of work was open when asked."""

    def __init__(
        self,
        units: FakeUnitsOfWork,
        known_units: set[uuid.UUID] = frozenset(),
        *,
        prevent_editing_own_signed_notes: bool = False,
        subadmins_manage_templates: bool = False,
        users: dict[uuid.UUID, bool] | None = None,
        memory_notes_allowed: bool = False,
        memory_note_users: Iterable[str] = (),
    ):
        self.units = units
        self.known_units = known_units
        self.users = users or {}
        self.prevent_editing_own_signed_notes = prevent_editing_own_signed_notes
        self.subadmins_manage_templates = subadmins_manage_templates
        self.memory_notes_allowed = memory_notes_allowed
        self.memory_note_users = set(memory_note_users)  # user ids whose "use memory notes" flag is on
        self.open_while_asked: list[int] = []

    async def require_unit(self, unit_id: uuid.UUID) -> None:
        self.open_while_asked.append(self.units.open)
        if unit_id not in self.known_units:
            raise NotFound("unit not found", field="unit_id")

    async def receiver(self, user_id: uuid.UUID) -> Receiver | None:
        """The organisation's users are `users` (id → active); anyone else is unknown."""
        self.open_while_asked.append(self.units.open)
        active = self.users.get(user_id)
        return None if active is None else Receiver(user_id=user_id, active=active)

    async def settings(self) -> OrganisationSettings:
        self.open_while_asked.append(self.units.open)
        return OrganisationSettings(
            prevent_editing_own_signed_notes=self.prevent_editing_own_signed_notes,
            subadmins_manage_templates=self.subadmins_manage_templates,
            memory_notes_allowed=self.memory_notes_allowed,
        )

    async def uses_memory_notes(self, user_id: uuid.UUID) -> bool:
        self.open_while_asked.append(self.units.open)
        return str(user_id) in self.memory_note_users


class FakeRights(FakeAdminRights):
    """Authz's rules for administrative actions; notes, for every question, whether a unit of work was open."""

    def __init__(self, units: FakeUnitsOfWork, model: AuthzModel | None = None):
        super().__init__(model)
        self.units = units
        self.open_while_asked: list[int] = []

    async def require(self, caller: Caller, module: AdminModule, token: str = "", **target) -> None:
        self.open_while_asked.append(self.units.open)
        await super().require(caller, module, token, **target)


ORG = uuid.UUID("00000000-0000-0000-0000-00000000000a")


def caller(level: PermissionLevel = PermissionLevel.MEMBER) -> Caller:
    return Caller(user_id=str(uuid.uuid4()), org_id=str(ORG), permission_level=level, token="t")
