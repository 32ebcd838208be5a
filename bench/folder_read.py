"""Reading one page of 100 signed notes of a student's folder through the gateway, against direct SQL.

The baseline does records' work in the bench process with no services: in one transaction it selects the
page of notes, their shown versions and rows, inserts the access-log row and commits, then serialises the
page to JSON as the gateway answers it. Both are measured one read at a time, in interleaved blocks, so that
what the machine does meanwhile weighs on both alike."""

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import psycopg
from psycopg.rows import dict_row

from bench.load import Run, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import Clinic, open_clinic, running_stack
from services.common.consistency import merge_tokens
from services.common.db import libpq_url

NAME = "folder_read"
NOTES = 100
ROWS = 10
FIRST_DAY = date(2025, 8, 18)
WARM_UP = 20

NOTES_SQL = """
SELECT id, student_id, folder_id, author_id, created_at, template_id, event_date, state,
       current_version, latest_version, revision, case_id, visible_to_case_members
FROM records.notes
WHERE org_id = %(org)s AND student_id = %(student)s AND folder_id = %(folder)s
ORDER BY event_date DESC, created_at DESC, id DESC
LIMIT %(limit)s
"""
VERSIONS_SQL = """
SELECT note_id, version, template_version_id, author_id, responsible_user_id, event_date, contact_type_id,
       status, created_at, updated_at, signed_by, signed_at, chain_position, previous_hash, content_hash
FROM records.note_versions
WHERE org_id = %(org)s AND (note_id, version) IN (SELECT * FROM unnest(%(ids)s::uuid[], %(versions)s::int[]))
"""
ROWS_SQL = """
SELECT note_id, version, position, template_row_id, heading, row_type, value
FROM records.note_rows
WHERE org_id = %(org)s AND (note_id, version) IN (SELECT * FROM unnest(%(ids)s::uuid[], %(versions)s::int[]))
ORDER BY note_id, version, position
"""
LOG_SQL = """
INSERT INTO records.access_log
    (org_id, user_id, student_id, folder_id, unit_id, action, outcome, reason, note_count, trace_id)
VALUES (%(org)s, %(user)s, %(student)s, %(folder)s, %(unit)s, 'read_notes', 'allowed', %(reason)s,
        %(count)s, %(trace)s)
"""


@dataclass(frozen=True)
class Folder:
    """The seeded student folder: where its notes are read and the token that has seen them written."""

    student_id: str
    path: str
    consistency: str


@dataclass
class Reads:
    gateway: Run
    direct: Run
    blocks: int
    gateway_bytes: int = 0
    direct_bytes: int = 0


def run(options: Options) -> list[Figure]:
    """Start a stack, write and sign 100 notes, read them through the gateway and by SQL, stop."""
    count = 60 if options.quick else 400
    blocks = 3 if options.quick else 8
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        folder = seed_folder(clinic)
        reads = asyncio.run(measure(stack.gateway_url, stack.database_url, clinic, folder, count, blocks))
    return figures(reads)


def seed_folder(clinic: Clinic) -> Folder:
    """A student whose folder holds 100 signed notes of the 10-row template, each on its own day."""
    template = clinic.template()
    student_id = clinic.student()
    path = f"/api/v1/students/{student_id}/folders/{clinic.folder_id}/notes"
    tokens = [clinic.consistency]
    for index in range(NOTES):
        body = template.body(index, FIRST_DAY + timedelta(days=index))
        note = nurse_call(clinic, "POST", path, 201, json=body)
        tokens.append(
            nurse_call(clinic, "POST", f"/api/v1/notes/{note['id']}/sign", 200)["consistency_token"]
        )
    return Folder(student_id, path, merge_tokens(tokens))


def nurse_call(clinic: Clinic, method: str, path: str, expected: int, **kwargs) -> dict:
    """One call as the nurse; anything but the expected status stops the bench."""
    response = clinic.api.call(method, path, clinic.nurse_token, clinic.consistency, **kwargs)
    if response.status_code != expected:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


async def measure(
    base_url: str, database_url: str, clinic: Clinic, folder: Folder, count: int, blocks: int
) -> Reads:
    """Warm both up, then `count` reads of each one after another, in `blocks` alternating blocks."""
    headers = {"Authorization": f"Bearer {clinic.nurse_token}", "Consistency-Token": folder.consistency}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client,
        await psycopg.AsyncConnection.connect(libpq_url(database_url), row_factory=dict_row) as connection,
    ):
        gateway = GatewayRead(client, folder.path)
        direct = DirectRead(connection, clinic, folder.student_id)
        for read in (gateway, direct):
            warm_up = await one_at_a_time(read, WARM_UP)
            if warm_up.errors:
                raise RuntimeError(f"warm-up of {type(read).__name__}: {warm_up.failure_note()}")
        reads = Reads(Run(), Run(), blocks, gateway.size, direct.size)
        for _ in range(blocks):
            add(reads.gateway, await one_at_a_time(gateway, count // blocks))
            add(reads.direct, await one_at_a_time(direct, count // blocks))
    return reads


def add(total: Run, block: Run) -> None:
    """Append one block's calls to the total."""
    total.latencies += block.latencies
    total.failures.update(block.failures)
    total.elapsed += block.elapsed


def check_page(notes: list[dict]) -> None:
    """A full page: every note, each with every row of the template."""
    if len(notes) != NOTES:
        raise AssertionError(f"{len(notes)} notes instead of {NOTES}")
    short = [note["id"] for note in notes if len(note["rows"]) != ROWS]
    if short:
        raise AssertionError(f"{len(short)} notes without {ROWS} rows")


class GatewayRead:
    """GET one page of 100 notes over a keep-alive connection, as the nurse."""

    def __init__(self, client: httpx.AsyncClient, path: str):
        self.client, self.path, self.size = client, path, 0

    async def __call__(self) -> None:
        response = await self.client.get(self.path, params={"limit": NOTES})
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        check_page(response.json()["notes"])
        self.size = len(response.content)


class DirectRead:
    """Records' read of one page without the services: three selects and the access-log row in one
    transaction on one connection (as a pooled one would be), then the page as the gateway's JSON."""

    def __init__(self, connection: psycopg.AsyncConnection, clinic: Clinic, student_id: str):
        self.connection, self.size = connection, 0
        self.scope = {
            "org": uuid.UUID(clinic.tenant.org_id),
            "student": uuid.UUID(student_id),
            "folder": uuid.UUID(clinic.folder_id),
            "limit": NOTES,
        }
        self.log = {
            **self.scope,
            "user": uuid.UUID(clinic.nurse_id),
            "unit": uuid.UUID(clinic.unit_id),
            "reason": "read_write on the folder through the role's assignment at the unit",
        }

    async def __call__(self) -> None:
        async with self.connection.transaction():
            cursor = self.connection.cursor()
            notes = await (await cursor.execute(NOTES_SQL, self.scope)).fetchall()
            keys = {
                "org": self.scope["org"],
                "ids": [note["id"] for note in notes],
                "versions": [note["current_version"] for note in notes],
            }
            versions = await (await cursor.execute(VERSIONS_SQL, keys)).fetchall()
            rows = await (await cursor.execute(ROWS_SQL, keys)).fetchall()
            trace = uuid.uuid4().hex
            await cursor.execute(LOG_SQL, {**self.log, "count": len(notes), "trace": trace})
        page = page_of(notes, versions, rows)
        body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        check_page(page["notes"])
        self.size = len(body)


def page_of(notes: list[dict], versions: list[dict], rows: list[dict]) -> dict:
    """The page as the gateway's response body: {"notes": [note, …], "next_cursor": …}."""
    by_key = {(v["note_id"], v["version"]): v for v in versions}
    rows_of: dict[tuple, list[dict]] = {key: [] for key in by_key}
    for row in rows:
        rows_of[(row["note_id"], row["version"])].append(row)
    shown = [
        note_json(note, by_key[key], rows_of[key])
        for note in notes
        for key in [(note["id"], note["current_version"])]
    ]
    last = notes[-1] if len(notes) == NOTES else None
    return {"notes": shown, "next_cursor": cursor_after(last) if last else None}


def note_json(note: dict, version: dict, rows: list[dict]) -> dict:
    """One note in the gateway's shape."""
    return {
        "id": str(note["id"]),
        "student_id": str(note["student_id"]),
        "folder_id": str(note["folder_id"]),
        "author_id": str(note["author_id"]),
        "created_at": note["created_at"].isoformat(),
        "event_date": version["event_date"].isoformat(),
        "state": note["state"],
        "template_id": text(note["template_id"]),
        "template_version_id": text(version["template_version_id"]),
        "version": version["version"],
        "version_author_id": str(version["author_id"]),
        "responsible_user_id": text(version["responsible_user_id"]),
        "contact_type_id": text(version["contact_type_id"]),
        "signed_by": text(version["signed_by"]),
        "signed_at": version["signed_at"].isoformat() if version["signed_at"] else None,
        "pending_version": note["latest_version"]
        if note["latest_version"] > note["current_version"]
        else None,
        "revision": note["revision"],
        "case_id": text(note["case_id"]),
        "rows": [
            {
                "position": row["position"],
                "row_id": row["template_row_id"],
                "heading": row["heading"],
                "type": row["row_type"],
                "value": row["value"],
            }
            for row in rows
        ],
        "links": [],
    }


def text(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def cursor_after(note: dict) -> str:
    """The opaque cursor records gives after the page's last note."""
    key = [note["event_date"].isoformat(), note["created_at"].isoformat(), str(note["id"])]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def figures(reads: Reads) -> list[Figure]:
    """The gateway's latency, the baseline's, and their ratio."""
    gateway, direct = reads.gateway, reads.direct
    errors = gateway.errors + direct.errors
    over_http = described(
        f"{gateway.calls:,} GETs of limit={NOTES} one after another, keep-alive; {NOTES} signed notes of "
        f"{ROWS} rows, {reads.gateway_bytes / 1024:.0f} KiB a page",
        gateway.failure_note(),
    )
    baseline = described(
        f"{direct.calls:,} reads one after another in the bench process: 3 selects + access-log insert in "
        f"one transaction on one psycopg connection, page as JSON ({reads.direct_bytes / 1024:.0f} KiB); "
        f"p99 {direct.p(99):.1f} ms",
        direct.failure_note(),
    )
    ratio = f"both measured in the same run, {reads.blocks} blocks of each in turn"
    return [
        Figure(NAME, "page of 100 notes p50", gateway.p(50), "ms", at_most(15), over_http, gateway.errors),
        Figure(NAME, "page of 100 notes p99", gateway.p(99), "ms", None, over_http, gateway.errors),
        Figure(NAME, "direct-SQL baseline p50", direct.p(50), "ms", None, baseline, direct.errors),
        Figure(
            NAME, "gateway p50 / baseline p50", gateway.p(50) / direct.p(50), "x", at_most(2), ratio, errors
        ),
    ]


def described(*parts: str) -> str:
    """The non-empty parts joined into one note."""
    return "; ".join(part for part in parts if part)
