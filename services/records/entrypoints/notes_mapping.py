"""Notes between records' gRPC messages and its handlers: inputs parsed, views turned into messages."""

import base64
import binascii
import json
import uuid
from datetime import date, datetime

from elevhalsa.records.v1 import records_pb2 as pb

from services.common.convert import date_from_proto, date_to_proto, parse_uuid, timestamp
from services.common.enums import ProtoEnum
from services.common.errors import InvalidArgument
from services.common.structs import from_value, to_value
from services.records.adapters.note_queries import NotePage, rows_as_json
from services.records.adapters.orm import Note
from services.records.domain.notes import NoteState, RowInput
from services.records.service_layer.note_access import NoteInput, NoteView, VersionView

NOTE_STATES = ProtoEnum(pb.NoteState, NoteState)
DEFAULT_PAGE = 50
MAX_PAGE = 200


def optional_id(value: str, field: str) -> uuid.UUID | None:
    return parse_uuid(value, field) if value else None


def note_input(content: pb.NoteContent) -> NoteInput:
    return NoteInput(
        event_date=date_from_proto(content.event_date, "event_date"),
        responsible_user_id=optional_id(content.responsible_user_id, "responsible_user_id"),
        contact_type_id=optional_id(content.contact_type_id, "contact_type_id"),
        rows=tuple(RowInput(row.row_id, from_value(row.value)) for row in content.rows),
    )


def note_page(request: pb.ListNotesRequest) -> NotePage:
    limit = request.limit or DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return NotePage(
        limit=limit,
        after=cursor_key(request.cursor) if request.cursor else None,
        template_id=optional_id(request.template_id, "template_id"),
        from_date=date_from_proto(request.from_date, "from_date"),
        to_date=date_from_proto(request.to_date, "to_date"),
        state=NOTE_STATES.to_domain(request.state, "state", default=None) if request.state else None,
    )


def cursor_after(note: Note) -> str:
    """An opaque cursor: the last note's place in the folder's order."""
    key = [note.event_date.isoformat(), note.created_at.isoformat(), str(note.id)]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def cursor_key(cursor: str) -> tuple[date, datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        day, created, note_id = json.loads(raw)
        return date.fromisoformat(day), datetime.fromisoformat(created), uuid.UUID(note_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidArgument("cursor is not a cursor this API gave out", field="cursor") from None


def text_id(value: uuid.UUID | None) -> str:
    return str(value) if value else ""


def note_to_proto(view: NoteView) -> pb.Note:
    note, version = view.note, view.version
    message = pb.Note(
        id=str(note.id),
        student_id=str(note.student_id),
        folder_id=str(note.folder_id),
        author_id=str(note.author_id),
        created_at=timestamp(note.created_at),
        event_date=date_to_proto(version.event_date),
        state=NOTE_STATES.number(note.state),
        rows_json=view.shown_rows_json,
        case_id=text_id(note.case_id),
        template_id=text_id(note.template_id),
        template_version_id=text_id(version.template_version_id),
        version=version.version,
        version_author_id=str(version.author_id),
        responsible_user_id=text_id(version.responsible_user_id),
        contact_type_id=text_id(version.contact_type_id),
        signed_by=text_id(version.signed_by),
        pending_version=note.latest_version if note.latest_version > note.current_version else 0,
        revision=note.revision,
        links=[
            pb.NoteLink(
                note_id=str(link.note_id),
                direction=pb.LINK_DIRECTION_FOLLOWS_UP
                if link.follows_up
                else pb.LINK_DIRECTION_FOLLOWED_UP_BY,
                readable=link.linked is not None,
                folder_id=text_id(link.linked.folder_id) if link.linked else "",
                event_date=date_to_proto(link.linked.event_date) if link.linked else None,
                state=NOTE_STATES.number(link.linked.state) if link.linked else pb.NOTE_STATE_UNSPECIFIED,
                heading=link.heading,
            )
            for link in view.links
        ],
    )
    if version.signed_at:
        message.signed_at.CopyFrom(timestamp(version.signed_at))
    return message


def version_to_proto(view: VersionView) -> pb.NoteVersion:
    v = view.version
    message = pb.NoteVersion(
        version=v.version,
        signed=v.status == "signed",
        author_id=str(v.author_id),
        created_at=timestamp(v.created_at),
        updated_at=timestamp(v.updated_at),
        signed_by=text_id(v.signed_by),
        event_date=date_to_proto(v.event_date),
        responsible_user_id=text_id(v.responsible_user_id),
        contact_type_id=text_id(v.contact_type_id),
        template_version_id=text_id(v.template_version_id),
        rows_json=rows_as_json(view.rows),
        changes=[
            pb.RowChange(
                position=c.position, heading=c.heading, before=to_value(c.before), after=to_value(c.after)
            )
            for c in view.changes
        ],
        content_hash=v.content_hash or "",
    )
    if v.signed_at:
        message.signed_at.CopyFrom(timestamp(v.signed_at))
    return message
