"""Records' queries and writes of notes, their versions, rows, links and hash chains, for one organisation."""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, Text, cast, delete, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.records.adapters.orm import (
    FolderChain,
    Note,
    NoteLink,
    NoteRow,
    NoteVersion,
)


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


class NoteQueries(TenantRepository):
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
