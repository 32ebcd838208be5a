"""The one way in to records' tables: queries and writes of one organisation."""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, Text, and_, cast, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.records.adapters.orm import (
    AccessLogEntry,
    AddressBookEntry,
    ContactType,
    Folder,
    FolderChain,
    Note,
    NoteLink,
    NoteRow,
    NoteTemplate,
    NoteVersion,
    Placement,
    SchoolClass,
    SchoolYear,
    Student,
    StudentGroup,
    StudentGroupMember,
    TemplateMenu,
    TemplateVersion,
)
from services.records.domain.school import StudentKey


def rows_as_json(rows: Iterable[NoteRow]) -> str:
    """Rows as `shown_rows_json` gives them, for rows at hand (just written or signed)."""
    return json.dumps(
        [
            {
                "position": r.position,
                "row_id": r.template_row_id,
                "heading": r.heading,
                "type": r.row_type,
                "value": r.value,
            }
            for r in sorted(rows, key=lambda r: r.position)
        ],
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class NotePage:
    """Which notes of a folder a page holds: after the cursor's (event date, created at, id), filtered."""

    limit: int
    after: tuple[date, datetime, uuid.UUID] | None = None
    template_id: uuid.UUID | None = None
    from_date: date | None = None
    to_date: date | None = None
    state: str | None = None


class RecordsRepository(TenantRepository):
    async def student(self, student_id: uuid.UUID) -> Student:
        return await self.one(Student, student_id, what="student", field="student_id")

    async def folder(self, folder_id: uuid.UUID) -> Folder:
        return await self.one(Folder, folder_id, what="folder", field="folder_id")

    async def folders(self) -> list[Folder]:
        return await self.all(self.select_of(Folder).order_by(Folder.name))

    async def folder_named(self, name: str) -> Folder | None:
        return await self.session.scalar(self.select_of(Folder).where(Folder.name == name))

    async def student_at_unit(self, unit_id: uuid.UUID, personnummer: str) -> Student | None:
        query = self.select_of(Student).where(
            Student.unit_id == unit_id, Student.personnummer == personnummer
        )
        return await self.session.scalar(query)

    async def insert_student(self, student: Student) -> bool:
        """Insert unless the unit has the personnummer already (race-free: no check-then-insert)."""
        self._check_tenant(student)
        values = {
            c.name: getattr(student, c.key)
            for c in Student.__table__.columns
            if getattr(student, c.key) is not None
        }
        inserted = await self.session.scalar(
            pg_insert(Student).values(values).on_conflict_do_nothing().returning(Student.id)
        )
        return inserted is not None

    async def note(self, note_id: uuid.UUID, *, for_update: bool = False) -> Note:
        """The note, locked against concurrent changes until the unit of work ends when `for_update`."""
        query = self.select_of(Note).where(Note.id == note_id)
        note = await self.session.scalar(query.with_for_update() if for_update else query)
        if note is None:
            raise NotFound("note not found", field="note_id")
        return note

    async def notes(self, note_ids: list[uuid.UUID]) -> list[Note]:
        return await self.all(self.select_of(Note).where(Note.id.in_(note_ids))) if note_ids else []

    async def note_page(self, student_id: uuid.UUID, folder_id: uuid.UUID, page: NotePage) -> list[Row]:
        """Up to `page.limit` notes of the folder after the cursor, newest event first, filtered; as plain rows
        with the notes' columns (a page is read, never changed, and ORM objects would cost more than the query)."""
        query = self.select_of(Note, Note.__table__).where(
            Note.student_id == student_id, Note.folder_id == folder_id
        )
        if page.after is not None:
            query = query.where(tuple_(Note.event_date, Note.created_at, Note.id) < tuple_(*page.after))
        if page.template_id is not None:
            query = query.where(Note.template_id == page.template_id)
        if page.from_date is not None:
            query = query.where(Note.event_date >= page.from_date)
        if page.to_date is not None:
            query = query.where(Note.event_date <= page.to_date)
        if page.state is not None:
            query = query.where(Note.state == page.state)
        order = (Note.event_date.desc(), Note.created_at.desc(), Note.id.desc())
        return list(await self.session.execute(query.order_by(*order).limit(page.limit)))

    async def latest_signed_note(self, student_id: uuid.UUID, template_id: uuid.UUID) -> Note | None:
        """The student's most recent signed note written from the template, in any folder."""
        query = (
            self.select_of(Note)
            .where(Note.student_id == student_id, Note.template_id == template_id, Note.state != "draft")
            .order_by(Note.event_date.desc(), Note.created_at.desc(), Note.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def versions(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], NoteVersion]:
        """The versions named by (note id, version)."""
        keys = list(keys)
        if not keys:
            return {}
        query = self.select_of(NoteVersion).where(tuple_(NoteVersion.note_id, NoteVersion.version).in_(keys))
        return {(v.note_id, v.version): v for v in await self.all(query)}

    async def versions_of(self, note_id: uuid.UUID) -> list[NoteVersion]:
        query = (
            self.select_of(NoteVersion).where(NoteVersion.note_id == note_id).order_by(NoteVersion.version)
        )
        return await self.all(query)

    async def rows_of(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], list[NoteRow]]:
        """The rows of each (note id, version), in order."""
        keys = list(keys)
        rows: dict[tuple[uuid.UUID, int], list[NoteRow]] = {key: [] for key in keys}
        if keys:
            query = (
                self.select_of(NoteRow)
                .where(tuple_(NoteRow.note_id, NoteRow.version).in_(keys))
                .order_by(NoteRow.note_id, NoteRow.version, NoteRow.position)
            )
            for row in await self.all(query):
                rows[(row.note_id, row.version)].append(row)
        return rows

    async def shown_rows_json(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], str]:
        """The rows of each (note id, version) as one JSON array of `rows_as_json` objects, built by PostgreSQL:
        a page of a thousand rows costs records a hundred strings. One statement text for any number of notes."""
        keys = list(keys)
        t = NoteRow.__table__
        query = select(t.c.note_id, t.c.version, self._rows_json(t)).where(
            t.c.org_id == self.org_id, tuple_(t.c.note_id, t.c.version).in_(self._pairs(keys))
        )
        found = {
            (note_id, version): text
            for note_id, version, text in await self.session.execute(query.group_by(t.c.note_id, t.c.version))
        }
        return {key: found.get(key, "[]") for key in keys}

    async def shown_versions(
        self, keys: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[tuple[uuid.UUID, int], tuple[Row, str]]:
        """Each (note id, version) found, as a plain row with the version's columns, with its rows as
        `shown_rows_json` gives them; one statement."""
        keys = list(keys)
        if not keys:
            return {}
        t = NoteRow.__table__
        rows = (
            select(self._rows_json(t))
            .where(
                t.c.org_id == NoteVersion.org_id,
                t.c.note_id == NoteVersion.note_id,
                t.c.version == NoteVersion.version,
            )
            .scalar_subquery()
        )
        query = self.select_of(
            NoteVersion, NoteVersion.__table__, func.coalesce(rows, "[]").label("rows_json")
        ).where(tuple_(NoteVersion.note_id, NoteVersion.version).in_(self._pairs(keys)))
        return {(v.note_id, v.version): (v, v.rows_json) for v in await self.session.execute(query)}

    @staticmethod
    def _pairs(keys: list[tuple[uuid.UUID, int]]):
        """(note id, version) pairs as two arrays, so the statement text is the same for any number of them."""
        return select(
            func.unnest(literal([k[0] for k in keys], ARRAY(UUID(as_uuid=True)))),
            func.unnest(literal([k[1] for k in keys], ARRAY(Integer))),
        )

    @staticmethod
    def _rows_json(t):
        """json_agg of the rows in order, as text (the shape of `rows_as_json`)."""
        row = func.json_build_object(
            "position",
            t.c.position,
            "row_id",
            t.c.template_row_id,
            "heading",
            t.c.heading,
            "type",
            t.c.row_type,
            "value",
            t.c.value,
        )
        return cast(func.json_agg(aggregate_order_by(row, t.c.position)), Text)

    async def add_note(self, note: Note, version: NoteVersion, rows: list[NoteRow]) -> None:
        """Stage a note, its first version and its rows (in that order: each references the one before)."""
        self.add(note)
        await self.add_version(version, rows)

    async def add_version(self, version: NoteVersion, rows: list[NoteRow]) -> None:
        self.add(version)
        await self.flush()
        self.add_all(rows)

    async def replace_rows(self, version: NoteVersion, rows: list[NoteRow]) -> None:
        """The unsigned version's rows become `rows` (the trigger refuses this for a signed version)."""
        await self.session.execute(
            delete(NoteRow).where(
                NoteRow.org_id == self.org_id,
                NoteRow.note_id == version.note_id,
                NoteRow.version == version.version,
            )
        )
        self.add_all(rows)

    async def remove_version(self, version: NoteVersion) -> None:
        """Remove an unsigned version and its rows."""
        await self.replace_rows(version, [])
        await self.session.delete(version)

    async def remove_draft_note(self, note: Note, version: NoteVersion) -> None:
        """Remove a never-signed note with its only version and its links."""
        await self.remove_version(version)
        await self.session.execute(
            delete(NoteLink).where(
                NoteLink.org_id == self.org_id,
                or_(NoteLink.from_note_id == note.id, NoteLink.to_note_id == note.id),
            )
        )
        await self.flush()
        await self.session.delete(note)

    async def chain_head(self, student_id: uuid.UUID, folder_id: uuid.UUID) -> FolderChain:
        """The student folder's chain head, locked: signings in one folder take their places one at a time."""
        await self.session.execute(
            pg_insert(FolderChain)
            .values(org_id=self.org_id, student_id=student_id, folder_id=folder_id)
            .on_conflict_do_nothing()
        )
        query = self.select_of(FolderChain).where(
            FolderChain.student_id == student_id, FolderChain.folder_id == folder_id
        )
        return await self.session.scalar(query.with_for_update())

    async def chain(
        self, student_id: uuid.UUID, folder_id: uuid.UUID
    ) -> tuple[FolderChain | None, list[NoteVersion]]:
        """The folder's chain head and its signed versions in chain order."""
        head = await self.session.scalar(
            self.select_of(FolderChain).where(
                FolderChain.student_id == student_id, FolderChain.folder_id == folder_id
            )
        )
        query = (
            self.select_of(NoteVersion)
            .join(Note, (Note.org_id == NoteVersion.org_id) & (Note.id == NoteVersion.note_id))
            .where(Note.student_id == student_id, Note.folder_id == folder_id, NoteVersion.status == "signed")
            .order_by(NoteVersion.chain_position)
        )
        return head, await self.all(query)

    async def links_of(self, note_id: uuid.UUID) -> list[NoteLink]:
        """Links from and to the note."""
        query = self.select_of(NoteLink).where(
            or_(NoteLink.from_note_id == note_id, NoteLink.to_note_id == note_id)
        )
        return await self.all(query.order_by(NoteLink.created_at))

    def append_to_access_log(self, entry: AccessLogEntry) -> None:
        """Stage an access-log row; it is committed with the read or refusal it records."""
        self.add(entry)

    # Note templates ----------------------------------------------------------------------------------------

    async def template(self, template_id: uuid.UUID, *, for_update: bool = False) -> NoteTemplate:
        """The template, or NotFound naming template_id; `for_update` locks it (edits of one template queue)."""
        query = self.select_of(NoteTemplate).where(NoteTemplate.id == template_id)
        template = await self.session.scalar(query.with_for_update() if for_update else query)
        if template is None:
            raise NotFound("note template not found", field="template_id")
        return template

    async def template_named(self, name: str) -> NoteTemplate | None:
        return await self.session.scalar(self.select_of(NoteTemplate).where(NoteTemplate.name == name))

    async def templates_by_id(self, template_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, NoteTemplate]:
        """The organisation's templates among the ids (others are simply missing)."""
        ids = list(template_ids)
        if not ids:
            return {}
        found = await self.all(self.select_of(NoteTemplate).where(NoteTemplate.id.in_(ids)))
        return {template.id: template for template in found}

    def _with_current_version(self):
        """Templates joined with their current version."""
        current = and_(
            TemplateVersion.org_id == NoteTemplate.org_id,
            TemplateVersion.template_id == NoteTemplate.id,
            TemplateVersion.version == NoteTemplate.current_version,
        )
        query = select(NoteTemplate, TemplateVersion).join(TemplateVersion, current)
        return self.scoped(query, NoteTemplate, TemplateVersion)

    async def templates(
        self, *, include_retired: bool = False, template_ids: Iterable[uuid.UUID] | None = None
    ) -> list[tuple[NoteTemplate, TemplateVersion]]:
        """Templates with their current versions, by name: active ones, or all; or those among the ids."""
        query = self._with_current_version().order_by(NoteTemplate.name)
        if not include_retired:
            query = query.where(NoteTemplate.status == "active")
        if template_ids is not None:
            query = query.where(NoteTemplate.id.in_(list(template_ids)))
        return [(template, version) for template, version in await self.session.execute(query)]

    async def template_version(self, version_id: uuid.UUID) -> TemplateVersion:
        return await self.one(TemplateVersion, version_id, what="template version", field="version_id")

    async def current_template_version(
        self, template_id: uuid.UUID, *, for_update: bool = False
    ) -> TemplateVersion:
        """The template's current version, or NotFound naming template_id; `for_update` locks the version, so
        that a note cannot start using it while it is being edited in place."""
        query = (
            self._with_current_version()
            .with_only_columns(TemplateVersion)
            .where(NoteTemplate.id == template_id)
        )
        if for_update:
            query = query.with_for_update(of=TemplateVersion)
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("note template not found", field="template_id")
        return version

    async def template_version_numbered(self, template_id: uuid.UUID, number: int) -> TemplateVersion:
        """Version `number` of the template, or NotFound naming version."""
        query = self.select_of(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.version == number
        )
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("the template has no such version", field="version")
        return version

    async def template_versions(self, template_id: uuid.UUID) -> list[TemplateVersion]:
        """Every version of the template, oldest first."""
        query = (
            self.select_of(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version)
        )
        return await self.all(query)

    async def mark_template_version_used(self, version_id: uuid.UUID) -> TemplateVersion:
        """Mark the version as used by notes, so that it never changes again; returns it as it is now.

        Call it in the transaction that stores the note and compare the rows returned with those the note was
        checked against: an edit in place that committed in between would otherwise go unnoticed."""
        await self.session.execute(
            update(TemplateVersion)
            .where(
                TemplateVersion.org_id == self.org_id,
                TemplateVersion.id == version_id,
                TemplateVersion.in_use.is_(False),
            )
            .values(in_use=True)
            .execution_options(synchronize_session=False)
        )
        query = (
            self.select_of(TemplateVersion)
            .where(TemplateVersion.id == version_id)
            .execution_options(populate_existing=True)
        )
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("template version not found", field="version_id")
        return version

    # Template menus ----------------------------------------------------------------------------------------

    async def template_menu(self, menu_id: uuid.UUID, *, for_update: bool = False) -> TemplateMenu:
        query = self.select_of(TemplateMenu).where(TemplateMenu.id == menu_id)
        menu = await self.session.scalar(query.with_for_update() if for_update else query)
        if menu is None:
            raise NotFound("template menu not found", field="menu_id")
        return menu

    async def template_menu_named(self, name: str) -> TemplateMenu | None:
        return await self.session.scalar(self.select_of(TemplateMenu).where(TemplateMenu.name == name))

    async def template_menus(self, menu_ids: list[uuid.UUID]) -> list[TemplateMenu]:
        """The organisation's menus among the ids, by name (ids of no menu are left out)."""
        if not menu_ids:
            return []
        query = self.select_of(TemplateMenu).where(TemplateMenu.id.in_(menu_ids)).order_by(TemplateMenu.name)
        return await self.all(query)

    async def all_template_menus(self) -> list[TemplateMenu]:
        """Every menu of the organisation, by name."""
        return await self.all(self.select_of(TemplateMenu).order_by(TemplateMenu.name))

    # Address book and contact types ------------------------------------------------------------------------

    async def address_entry(self, entry_id: uuid.UUID) -> AddressBookEntry:
        return await self.one(AddressBookEntry, entry_id, what="address-book entry", field="entry_id")

    async def address_entries(self, entry_ids: list[uuid.UUID]) -> list[AddressBookEntry]:
        """The organisation's entries among the ids (ids of no entry are left out)."""
        if not entry_ids:
            return []
        return await self.all(self.select_of(AddressBookEntry).where(AddressBookEntry.id.in_(entry_ids)))

    async def address_book(self, *, include_inactive: bool = False) -> list[AddressBookEntry]:
        query = self.select_of(AddressBookEntry).order_by(AddressBookEntry.name, AddressBookEntry.id)
        if not include_inactive:
            query = query.where(AddressBookEntry.active.is_(True))
        return await self.all(query)

    async def contact_type(self, contact_type_id: uuid.UUID) -> ContactType:
        return await self.one(ContactType, contact_type_id, what="contact type", field="contact_type_id")

    async def contact_type_named(self, name: str) -> ContactType | None:
        return await self.session.scalar(self.select_of(ContactType).where(ContactType.name == name))

    async def contact_types(self, *, include_inactive: bool = False) -> list[ContactType]:
        query = self.select_of(ContactType).order_by(ContactType.position, ContactType.name)
        if not include_inactive:
            query = query.where(ContactType.active.is_(True))
        return await self.all(query)

    async def next_contact_type_position(self) -> int:
        """One after the last position in use (0 for the first)."""
        last = await self.session.scalar(self.select_of(ContactType, func.max(ContactType.position)))
        return 0 if last is None else last + 1

    # --- school years, classes, student groups, placements ------------------------------------------------

    async def insert_or_skip(self, row) -> bool:
        """Insert unless a unique or exclusion constraint already holds such a row (race-free)."""
        self._check_tenant(row)
        model = type(row)
        values = {
            c.name: getattr(row, c.key) for c in model.__table__.columns if getattr(row, c.key) is not None
        }
        statement = pg_insert(model).values(values).on_conflict_do_nothing()
        inserted = await self.session.execute(statement.returning(literal(1)))
        return inserted.first() is not None

    async def school_year(self, school_year_id: uuid.UUID) -> SchoolYear:
        return await self.one(SchoolYear, school_year_id, what="school year", field="school_year_id")

    async def school_years(self) -> list[SchoolYear]:
        """Newest first."""
        return await self.all(self.select_of(SchoolYear).order_by(SchoolYear.starts_on.desc()))

    async def school_year_on(self, day: date) -> SchoolYear | None:
        """The school year containing the day (school years never overlap)."""
        query = self.select_of(SchoolYear).where(SchoolYear.starts_on <= day, SchoolYear.ends_on >= day)
        return await self.session.scalar(query)

    async def school_year_named(self, name: str) -> SchoolYear | None:
        return await self.session.scalar(self.select_of(SchoolYear).where(SchoolYear.name == name))

    async def school_year_overlapping(self, starts_on: date, ends_on: date) -> SchoolYear | None:
        query = self.select_of(SchoolYear).where(
            SchoolYear.starts_on <= ends_on, SchoolYear.ends_on >= starts_on
        )
        return await self.session.scalar(query.order_by(SchoolYear.starts_on))

    async def school_class(self, class_id: uuid.UUID) -> SchoolClass:
        return await self.one(SchoolClass, class_id, what="class", field="class_id")

    async def classes(self, unit_id: uuid.UUID | None, school_year_id: uuid.UUID | None) -> list[SchoolClass]:
        """The classes, newest school year first, then by unit and name."""
        query = self.scoped(
            select(SchoolClass).join(
                SchoolYear,
                and_(SchoolYear.org_id == SchoolClass.org_id, SchoolYear.id == SchoolClass.school_year_id),
            ),
            SchoolClass,
        )
        if unit_id:
            query = query.where(SchoolClass.unit_id == unit_id)
        if school_year_id:
            query = query.where(SchoolClass.school_year_id == school_year_id)
        return await self.all(
            query.order_by(SchoolYear.starts_on.desc(), SchoolClass.unit_id, SchoolClass.name)
        )

    async def class_named(
        self, unit_id: uuid.UUID, school_year_id: uuid.UUID, name: str
    ) -> SchoolClass | None:
        query = self.select_of(SchoolClass).where(
            SchoolClass.unit_id == unit_id,
            SchoolClass.school_year_id == school_year_id,
            SchoolClass.name == name,
        )
        return await self.session.scalar(query)

    async def student_group(self, group_id: uuid.UUID) -> StudentGroup:
        return await self.one(StudentGroup, group_id, what="student group", field="group_id")

    async def student_groups(self, unit_id: uuid.UUID | None) -> list[StudentGroup]:
        query = self.select_of(StudentGroup)
        if unit_id:
            query = query.where(StudentGroup.unit_id == unit_id)
        return await self.all(query.order_by(StudentGroup.name, StudentGroup.id))

    async def group_members(self, group_id: uuid.UUID) -> list[Student]:
        """The group's students, by last name, first name."""
        query = self.scoped(
            select(Student).join(
                StudentGroupMember,
                and_(
                    StudentGroupMember.org_id == Student.org_id, StudentGroupMember.student_id == Student.id
                ),
            ),
            Student,
        ).where(StudentGroupMember.group_id == group_id)
        return await self.all(query.order_by(Student.last_name, Student.first_name, Student.id))

    async def remove_group_member(self, group_id: uuid.UUID, student_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(StudentGroupMember).where(
                StudentGroupMember.org_id == self.org_id,
                StudentGroupMember.group_id == group_id,
                StudentGroupMember.student_id == student_id,
            )
        )

    async def placements_of(
        self, student_id: uuid.UUID
    ) -> list[tuple[Placement, SchoolYear, SchoolClass | None]]:
        """The student's placements with their school years and classes, newest school year first."""
        query = (
            self.scoped(select(Placement, SchoolYear, SchoolClass), Placement)
            .join(
                SchoolYear,
                and_(SchoolYear.org_id == Placement.org_id, SchoolYear.id == Placement.school_year_id),
            )
            .outerjoin(
                SchoolClass,
                and_(SchoolClass.org_id == Placement.org_id, SchoolClass.id == Placement.class_id),
            )
            .where(Placement.student_id == student_id)
            .order_by(SchoolYear.starts_on.desc())
        )
        return [tuple(row) for row in await self.session.execute(query)]

    async def place(self, placement: Placement) -> None:
        """Set the student's class and grade in the school year (insert or replace)."""
        self._check_tenant(placement)
        statement = pg_insert(Placement).values(
            org_id=placement.org_id,
            student_id=placement.student_id,
            school_year_id=placement.school_year_id,
            class_id=placement.class_id,
            grade=placement.grade,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Placement.student_id, Placement.school_year_id],
                set_={
                    "class_id": statement.excluded.class_id,
                    "grade": statement.excluded.grade,
                    "updated_at": func.now(),
                },
            )
        )

    async def unplace(self, student_id: uuid.UUID, school_year_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(Placement).where(
                Placement.org_id == self.org_id,
                Placement.student_id == student_id,
                Placement.school_year_id == school_year_id,
            )
        )

    async def unit_students(
        self,
        unit_id: uuid.UUID,
        *,
        school_year_id: uuid.UUID | None,
        class_id: uuid.UUID | None,
        name: str | None,
        archived: bool,
        after: StudentKey | None,
        limit: int,
    ) -> list[tuple[Student, SchoolClass | None, int | None]]:
        """A page of the unit's students with their class and grade in the school year, in list order."""
        placed = and_(
            Placement.org_id == Student.org_id,
            Placement.student_id == Student.id,
            Placement.school_year_id == school_year_id,
        )
        query = (
            self.scoped(select(Student, SchoolClass, Placement.grade), Student)
            .outerjoin(Placement, placed)
            .outerjoin(
                SchoolClass,
                and_(SchoolClass.org_id == Placement.org_id, SchoolClass.id == Placement.class_id),
            )
            .where(Student.unit_id == unit_id, Student.archived == archived)
        )
        if class_id:
            query = query.where(Placement.class_id == class_id)
        if name:
            query = query.where(
                or_(
                    Student.first_name.icontains(name, autoescape=True),
                    Student.last_name.icontains(name, autoescape=True),
                )
            )
        if after:
            query = query.where(
                tuple_(Student.last_name, Student.first_name, Student.id)
                > tuple_(literal(after.last_name), literal(after.first_name), literal(after.id))
            )
        query = query.order_by(Student.last_name, Student.first_name, Student.id).limit(limit)
        return [tuple(row) for row in await self.session.execute(query)]
