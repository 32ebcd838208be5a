"""Note templates and template menus: a template's rows and when an edit needs a new version, and the rules of a
menu's tree. Pure: the handler loads what the rules need (prefill sources, template statuses) and passes it in.

Besides the rules of services.records.domain.rows.RULES, a problem here may name:
"prefill" (a prefill that names no template, no row, or a row of another type), "unknown" (a menu entry naming
no template of the organisation), "retired" (a retired template added to a menu).
"""

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.common.errors import FieldProblem, InvalidFields
from services.records.domain.rows import (
    RULES,
    Prefill,
    RowType,
    TemplateRow,
    check_settings,
    rows_to_json,
)

MAX_NAME = 200
MAX_ROWS = 100
MAX_HEADING = 200
MAX_HELP_TEXT = 2_000
MAX_MENU_DEPTH = 5  # submenus within submenus, at most this many levels
MAX_MENU_ENTRIES = 500  # templates and submenus of a whole menu

TEMPLATE_RULES = (*RULES, "prefill", "unknown", "retired")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TemplateStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


def new_row_id() -> str:
    return str(uuid.uuid4())


def as_uuid(value: Any) -> str | None:
    """The canonical text of a UUID given as text, or None."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def check_text(
    value: Any, field: str, problems: list[FieldProblem], what: str, *, max_length: int, required: bool = True
) -> str:
    """A trimmed text without control characters (line breaks allowed), within its length."""
    if not isinstance(value, str):
        problems.append(FieldProblem(field, f"{what} must be a text", "type"))
        return ""
    value = value.strip()
    if required and not value:
        problems.append(FieldProblem(field, f"{what} is required", "required"))
    elif len(value) > max_length:
        problems.append(FieldProblem(field, f"{what} is longer than {max_length} characters", "max_length"))
    elif CONTROL_CHARACTERS.search(value):
        problems.append(FieldProblem(field, f"{what} contains control characters", "characters"))
    return value


# Templates -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowDraft:
    """A template row as a request gives it, not yet checked."""

    id: str | None  # None: a new row
    heading: str
    row_type: str  # the type's name; "" when not given
    settings: Any
    required: bool = False
    help_text: str = ""
    prefill: Prefill | None = None


def prefill_template_ids(drafts: Iterable[RowDraft]) -> set[str]:
    """The templates the drafts' prefills name (well-formed ids only): the sources the handler must load."""
    return {tid for draft in drafts if draft.prefill and (tid := as_uuid(draft.prefill.template_id))}


def check_template(
    name: Any,
    drafts: Sequence[RowDraft],
    *,
    template_id: str | None,
    sources: Mapping[str, Sequence[TemplateRow]],
    known_types: Mapping[str, RowType],
    new_id: Callable[[], str] = new_row_id,
) -> tuple[str, list[TemplateRow]]:
    """The template's trimmed name and its rows, each with its id (kept when given, else new); InvalidFields with
    every problem otherwise.

    `sources` holds the current rows of each other template a prefill names (a template missing from it does
    not exist); `known_types` the type of every row id in any version of this template, since a row keeps its
    type across versions (its older notes hold values of that type)."""
    problems: list[FieldProblem] = []
    name = check_text(name, "name", problems, "name", max_length=MAX_NAME)
    if not drafts:
        problems.append(FieldProblem("rows", "a template needs at least one row", "required"))
    elif len(drafts) > MAX_ROWS:
        problems.append(FieldProblem("rows", f"a template has at most {MAX_ROWS} rows", "range"))
    rows: list[TemplateRow] = []
    typed: list[bool] = []
    seen_ids: set[str] = set()
    for index, draft in enumerate(drafts):
        before = len(problems)
        rows.append(check_row(draft, index, problems, seen_ids, known_types, new_id))
        typed.append(not any(p.field == f"rows[{index}].type" for p in problems[before:]))
    own_rows = {row.id: row for row in rows}
    for index, row in enumerate(rows):
        # A row whose type is wrong has no type to compare its prefill's with.
        if row.prefill and typed[index]:
            check_prefill(row, f"rows[{index}].prefill", template_id, own_rows, sources, problems)
    if problems:
        raise InvalidFields(problems)
    return name, rows


def check_row(
    draft: RowDraft,
    index: int,
    problems: list[FieldProblem],
    seen_ids: set[str],
    known_types: Mapping[str, RowType],
    new_id: Callable[[], str],
) -> TemplateRow:
    """One row, its problems appended; the row is only meaningful when there are none."""
    field = f"rows[{index}]"
    heading = check_text(draft.heading, f"{field}.heading", problems, "heading", max_length=MAX_HEADING)
    label = heading or f"row {index + 1}"
    help_text = check_text(
        draft.help_text, f"{field}.help_text", problems, "help text", max_length=MAX_HELP_TEXT, required=False
    )
    row_id = (as_uuid(draft.id) or "") if draft.id else new_id()
    if draft.id and not row_id:
        problems.append(FieldProblem(f"{field}.id", f"{label}: id must be a UUID", "type"))
    elif draft.id and row_id in seen_ids:
        problems.append(FieldProblem(f"{field}.id", f"{label}: the row id is given twice", "duplicate"))
    seen_ids.add(row_id)
    settings: dict = {}
    row_type = RowType.FREE_TEXT
    names = {member.value for member in RowType}
    if not draft.row_type:
        problems.append(FieldProblem(f"{field}.type", f"{label}: the row type is required", "required"))
    elif draft.row_type not in names:
        known = ", ".join(member.value for member in RowType)
        problems.append(
            FieldProblem(f"{field}.type", f"{label}: the row type must be one of {known}", "type")
        )
    else:
        row_type = RowType(draft.row_type)
        settings, found = check_settings(row_type, draft.settings, f"{field}.settings", label)
        problems.extend(found)
        earlier = known_types.get(row_id)
        if earlier is not None and earlier != row_type:
            message = (
                f"{label}: this row holds {earlier} values in earlier notes; add a new row for {row_type}"
            )
            problems.append(FieldProblem(f"{field}.type", message, "type"))
    return TemplateRow(
        id=row_id,
        heading=heading,
        row_type=row_type,
        settings=settings,
        required=bool(draft.required),
        help_text=help_text,
        prefill=draft.prefill,
    )


def check_prefill(
    row: TemplateRow,
    field: str,
    template_id: str | None,
    own_rows: Mapping[str, TemplateRow],
    sources: Mapping[str, Sequence[TemplateRow]],
    problems: list[FieldProblem],
) -> None:
    """A prefill names a template of the organisation (this one too: its rows as saved now) and a row of its
    current version of the same type."""
    assert row.prefill is not None
    source_id, source_row_id = as_uuid(row.prefill.template_id), as_uuid(row.prefill.row_id)
    label = row.heading or field
    if source_id is None or source_row_id is None:
        problems.append(
            FieldProblem(field, f"{label}: a prefill names a template id and a row id", "prefill")
        )
        return
    if source_id == template_id:
        candidates = own_rows
    elif source_id in sources:
        candidates = {source.id: source for source in sources[source_id]}
    else:
        problems.append(FieldProblem(field, f"{label}: the prefill names no template of yours", "prefill"))
        return
    source = candidates.get(source_row_id)
    if source is None:
        message = f"{label}: the prefill names no row of that template's current version"
        problems.append(FieldProblem(field, message, "prefill"))
    elif source.row_type != row.row_type:
        message = f"{label}: a {row.row_type} row cannot be prefilled from a {source.row_type} row"
        problems.append(FieldProblem(field, message, "prefill"))


class VersionChange(StrEnum):
    UNCHANGED = "unchanged"  # the same name and rows: nothing to save
    IN_PLACE = "in_place"  # no note uses the current version yet: it is updated
    NEW_VERSION = "new_version"  # notes use the current version: it stays as it is, and n+1 is created


def version_change(
    current_name: str, current_rows: list[dict], in_use: bool, name: str, rows: Sequence[TemplateRow]
) -> VersionChange:
    """What saving `name` and `rows` does to a template whose current version is as given."""
    if current_name == name and current_rows == rows_to_json(rows):
        return VersionChange.UNCHANGED
    return VersionChange.NEW_VERSION if in_use else VersionChange.IN_PLACE


# Menus -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSummary:
    id: str
    name: str
    status: TemplateStatus
    current_version: int
    current_version_id: str


@dataclass(frozen=True)
class Submenu:
    name: str
    items: tuple["TemplateSummary | Submenu", ...]


MenuEntry = TemplateSummary | Submenu


@dataclass(frozen=True)
class MenuTree:
    id: str
    name: str
    items: tuple[MenuEntry, ...]
    updated_at: datetime | None = None


ITEM_SHAPE = 'an item is {"template_id": …} or {"submenu": <name>, "items": […]}'


def menu_template_ids(items: Any) -> set[str]:
    """Every well-formed template id in a menu tree (stored or as given), at any depth."""
    found: set[str] = set()
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            if tid := as_uuid(item.get("template_id")):
                found.add(tid)
            found |= menu_template_ids(item.get("items"))
    return found


def check_menu(
    name: Any, items: Any, *, statuses: Mapping[str, TemplateStatus], kept: set[str]
) -> tuple[str, list[dict]]:
    """The menu's trimmed name and normalised tree; InvalidFields with every problem otherwise.

    `statuses` holds the status of every template of the organisation the tree names; `kept` the templates the
    menu held already, which may stay in it though retired since (a retired template is never added)."""
    problems: list[FieldProblem] = []
    name = check_text(name, "name", problems, "name", max_length=MAX_NAME)
    counter = [0]
    tree = check_items(items, "items", 1, statuses, kept, problems, counter)
    if counter[0] > MAX_MENU_ENTRIES:
        problems.append(FieldProblem("items", f"a menu has at most {MAX_MENU_ENTRIES} entries", "range"))
    if problems:
        raise InvalidFields(problems)
    return name, tree


def check_items(
    items: Any,
    field: str,
    depth: int,
    statuses: Mapping[str, TemplateStatus],
    kept: set[str],
    problems: list[FieldProblem],
    counter: list[int],
) -> list[dict]:
    if not isinstance(items, list):
        problems.append(FieldProblem(field, "items must be a list", "type"))
        return []
    tree = []
    for index, item in enumerate(items):
        at = f"{field}[{index}]"
        counter[0] += 1
        if isinstance(item, dict) and set(item) == {"template_id"}:
            tree.append(
                check_template_item(item["template_id"], f"{at}.template_id", statuses, kept, problems)
            )
        elif isinstance(item, dict) and "submenu" in item and set(item) <= {"submenu", "items"}:
            submenu = check_text(
                item["submenu"], f"{at}.submenu", problems, "a submenu's name", max_length=MAX_NAME
            )
            if depth > MAX_MENU_DEPTH:
                problems.append(
                    FieldProblem(at, f"submenus nest at most {MAX_MENU_DEPTH} levels deep", "range")
                )
                continue
            children = check_items(
                item.get("items", []), f"{at}.items", depth + 1, statuses, kept, problems, counter
            )
            tree.append({"submenu": submenu, "items": children})
        else:
            problems.append(FieldProblem(at, ITEM_SHAPE, "type" if not isinstance(item, dict) else "shape"))
    return tree


def check_template_item(
    value: Any,
    field: str,
    statuses: Mapping[str, TemplateStatus],
    kept: set[str],
    problems: list[FieldProblem],
) -> dict:
    template_id = as_uuid(value)
    if template_id is None:
        problems.append(FieldProblem(field, "template_id must be a UUID", "type"))
    elif template_id not in statuses:
        problems.append(FieldProblem(field, "names no template of yours", "unknown"))
    elif statuses[template_id] is TemplateStatus.RETIRED and template_id not in kept:
        problems.append(
            FieldProblem(field, "the template is retired and cannot be added to a menu", "retired")
        )
    return {"template_id": template_id}


def menu_entries(
    items: list[dict], summaries: Mapping[str, TemplateSummary], *, include_retired: bool
) -> tuple[MenuEntry, ...]:
    """A stored tree with each template's summary. Without `include_retired` (the menu someone writes a note
    from), retired templates are left out, and so are the submenus that leaves empty."""
    entries: list[MenuEntry] = []
    for item in items:
        if "template_id" in item:
            summary = summaries.get(item["template_id"])
            if summary and (include_retired or summary.status is TemplateStatus.ACTIVE):
                entries.append(summary)
        else:
            children = menu_entries(item["items"], summaries, include_retired=include_retired)
            if children or include_retired:
                entries.append(Submenu(item["submenu"], children))
    return tuple(entries)
