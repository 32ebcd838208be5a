"""Note templates and template menus: a template's rows, when an edit makes a new version, and a menu's tree."""

import itertools
import uuid

import pytest

from services.common.errors import InvalidFields
from services.records.domain.rows import Prefill, RowType, TemplateRow, rows_to_json
from services.records.domain.templates import (
    MAX_MENU_ENTRIES,
    TEMPLATE_RULES,
    RowDraft,
    Submenu,
    TemplateStatus,
    TemplateSummary,
    VersionChange,
    check_menu,
    check_template,
    menu_entries,
    menu_template_ids,
    prefill_template_ids,
    version_change,
)

SELF = "00000000-0000-4000-8000-0000000000aa"
OTHER = "00000000-0000-4000-8000-0000000000bb"
OTHER_ROW = "00000000-0000-4000-8000-0000000000b1"
KEPT_ROW = "00000000-0000-4000-8000-0000000000a1"


def ids():
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def draft(heading="Anamnes", row_type="free_text", settings=None, **fields) -> RowDraft:
    return RowDraft(
        id=fields.pop("id", None), heading=heading, row_type=row_type, settings=settings or {}, **fields
    )


def save(name="Läkarbesök", drafts=None, *, sources=None, known_types=None, template_id=SELF):
    return check_template(
        name,
        drafts if drafts is not None else [draft()],
        template_id=template_id,
        sources=sources or {},
        known_types=known_types or {},
        new_id=ids(),
    )


def problems_of(call) -> list[tuple[str, str]]:
    with pytest.raises(InvalidFields) as refused:
        call()
    assert all(p.rule in TEMPLATE_RULES and p.message for p in refused.value.problems)
    return [(p.field, p.rule) for p in refused.value.problems]


# Templates --------------------------------------------------------------------------------------------------


def test_a_template_gets_its_trimmed_name_and_rows_with_normalised_settings_and_new_ids():
    name, rows = save(
        "  Läkarbesök ",
        [draft(" Anamnes "), draft("Puls", "integer", {"min": 30.0, "max": 250, "unit": "slag/min"})],
    )
    assert name == "Läkarbesök"
    assert [(r.id, r.heading, r.row_type, r.settings) for r in rows] == [
        ("00000000-0000-4000-8000-000000000001", "Anamnes", RowType.FREE_TEXT, {"max_length": 20_000}),
        (
            "00000000-0000-4000-8000-000000000002",
            "Puls",
            RowType.INTEGER,
            {"min": 30, "max": 250, "unit": "slag/min"},
        ),
    ]


def test_a_row_given_with_an_id_keeps_it():
    _, rows = save(drafts=[draft(id=KEPT_ROW.upper()), draft("Status")])
    assert [r.id for r in rows] == [KEPT_ROW, "00000000-0000-4000-8000-000000000001"]


def test_every_problem_of_a_template_is_reported_at_once():
    drafts = [
        draft(" "),
        draft("Samtalsform", "single_choice", {"options": []}),
        draft("Puls", "integer", {"min": 10, "max": 1}),
        draft("Hörsel", ""),
        draft("Vikt", "weight", {"max": 300}, help_text="x" * 2001),
        draft("Okänd", "colour"),
    ]
    assert problems_of(lambda: save("", drafts)) == [
        ("name", "required"),
        ("rows[0].heading", "required"),
        ("rows[1].settings.options", "range"),
        ("rows[2].settings.max", "range"),
        ("rows[3].type", "required"),
        ("rows[4].help_text", "max_length"),
        ("rows[4].settings.max", "range"),
        ("rows[5].type", "type"),
    ]


def test_a_template_has_1_to_100_rows():
    assert problems_of(lambda: save(drafts=[])) == [("rows", "required")]
    assert problems_of(lambda: save(drafts=[draft(f"Rad {i}") for i in range(101)])) == [("rows", "range")]
    assert len(save(drafts=[draft(f"Rad {i}") for i in range(100)])[1]) == 100


def test_row_ids_are_uuids_and_distinct():
    drafts = [draft(id=KEPT_ROW), draft("Status", id=KEPT_ROW), draft("Bedömning", id="rad-3")]
    assert problems_of(lambda: save(drafts=drafts)) == [("rows[1].id", "duplicate"), ("rows[2].id", "type")]


def test_names_and_headings_are_bounded_and_free_of_control_characters():
    drafts = [draft("x" * 201), draft("Anam\x00nes")]
    assert problems_of(lambda: save("Mall\x1b", drafts)) == [
        ("name", "characters"),
        ("rows[0].heading", "max_length"),
        ("rows[1].heading", "characters"),
    ]


def test_a_row_keeps_its_type_across_versions_since_older_notes_hold_values_of_it():
    known = {KEPT_ROW: RowType.FREE_TEXT}
    assert problems_of(lambda: save(drafts=[draft("Puls", "integer", id=KEPT_ROW)], known_types=known)) == [
        ("rows[0].type", "type")
    ]
    _, rows = save(drafts=[draft("Puls", "free_text", id=KEPT_ROW)], known_types=known)
    assert rows[0].heading == "Puls"


# Prefill ----------------------------------------------------------------------------------------------------

SOURCES = {
    OTHER: [TemplateRow(OTHER_ROW, "Bedömning", RowType.FREE_TEXT, {"max_length": 20_000}, False, "", None)]
}


def test_a_prefill_names_a_row_of_the_same_type_in_another_templates_current_version():
    _, rows = save(drafts=[draft("Bedömning", prefill=Prefill(OTHER, OTHER_ROW))], sources=SOURCES)
    assert rows[0].prefill == Prefill(OTHER, OTHER_ROW)
    assert prefill_template_ids([draft(prefill=Prefill(OTHER, OTHER_ROW)), draft()]) == {OTHER}


def test_a_prefill_that_names_no_template_no_row_or_a_row_of_another_type_is_refused():
    drafts = [
        draft("A", prefill=Prefill(str(uuid.uuid4()), OTHER_ROW)),
        draft("B", prefill=Prefill(OTHER, KEPT_ROW)),
        draft("C", "integer", prefill=Prefill(OTHER, OTHER_ROW)),
        draft("D", prefill=Prefill("mall", "rad")),
    ]
    assert problems_of(lambda: save(drafts=drafts, sources=SOURCES)) == [
        ("rows[0].prefill", "prefill"),
        ("rows[1].prefill", "prefill"),
        ("rows[2].prefill", "prefill"),
        ("rows[3].prefill", "prefill"),
    ]


def test_a_template_may_prefill_from_its_own_latest_note_checked_against_the_rows_being_saved():
    own = draft("Bedömning", id=KEPT_ROW, prefill=Prefill(SELF, KEPT_ROW))
    assert save(drafts=[own])[1][0].prefill == Prefill(SELF, KEPT_ROW)
    wrong_type = draft("Puls", "integer", prefill=Prefill(SELF, KEPT_ROW))
    assert problems_of(lambda: save(drafts=[draft(id=KEPT_ROW), wrong_type])) == [
        ("rows[1].prefill", "prefill")
    ]


def test_a_new_template_cannot_prefill_from_itself_since_it_has_no_id_yet():
    own = draft("Bedömning", id=KEPT_ROW, prefill=Prefill(SELF, KEPT_ROW))
    assert problems_of(lambda: save(drafts=[own], template_id=None)) == [("rows[0].prefill", "prefill")]


# Versions ---------------------------------------------------------------------------------------------------


def test_an_edit_updates_an_unused_version_in_place_and_makes_a_new_version_of_a_used_one():
    name, rows = save()
    stored = rows_to_json(rows)
    assert version_change(name, stored, False, name, rows) is VersionChange.UNCHANGED
    assert version_change(name, stored, True, name, rows) is VersionChange.UNCHANGED
    assert version_change(name, stored, False, "Läkarbesök 2", rows) is VersionChange.IN_PLACE
    edited = [TemplateRow(**{**rows[0].__dict__, "required": True})]
    assert version_change(name, stored, False, name, edited) is VersionChange.IN_PLACE
    assert version_change(name, stored, True, name, edited) is VersionChange.NEW_VERSION


# Menus ------------------------------------------------------------------------------------------------------

ACTIVE = "00000000-0000-4000-8000-0000000000c1"
RETIRED = "00000000-0000-4000-8000-0000000000c2"
STATUSES = {ACTIVE: TemplateStatus.ACTIVE, RETIRED: TemplateStatus.RETIRED}


def menu(name="Skolsköterska – Medicinsk journal", items=None, kept=frozenset()):
    return check_menu(name, items, statuses=STATUSES, kept=set(kept))


def nested(depth: int) -> list[dict]:
    items: list[dict] = [{"template_id": ACTIVE}]
    for level in range(depth):
        items = [{"submenu": f"Nivå {depth - level}", "items": items}]
    return items


def test_a_menu_is_a_tree_of_templates_and_named_submenus():
    name, tree = menu(
        " Skolsköterska ",
        [{"template_id": ACTIVE.upper()}, {"submenu": " Remisser ", "items": [{"template_id": ACTIVE}]}],
    )
    assert name == "Skolsköterska"
    assert tree == [{"template_id": ACTIVE}, {"submenu": "Remisser", "items": [{"template_id": ACTIVE}]}]
    assert menu(items=[{"submenu": "Tom"}])[1] == [{"submenu": "Tom", "items": []}]


def test_submenus_nest_at_most_five_levels_deep():
    assert menu(items=nested(5))[1] == nested(5)
    assert problems_of(lambda: menu(items=nested(6))) == [
        ("items[0].items[0].items[0].items[0].items[0].items[0]", "range")
    ]


def test_a_menu_has_at_most_500_entries():
    assert len(menu(items=[{"template_id": ACTIVE}] * MAX_MENU_ENTRIES)[1]) == MAX_MENU_ENTRIES
    too_many = [{"submenu": "A", "items": [{"template_id": ACTIVE}] * 250}] * 2
    assert problems_of(lambda: menu(items=too_many)) == [("items", "range")]


def test_a_menu_names_existing_active_templates_only():
    items = [
        {"template_id": str(uuid.uuid4())},
        {"submenu": "Gamla", "items": [{"template_id": RETIRED}]},
        {"template_id": "mall"},
    ]
    assert problems_of(lambda: menu(items=items)) == [
        ("items[0].template_id", "unknown"),
        ("items[1].items[0].template_id", "retired"),
        ("items[2].template_id", "type"),
    ]


def test_a_retired_template_may_stay_in_a_menu_that_held_it_already():
    assert menu(items=[{"template_id": RETIRED}], kept={RETIRED})[1] == [{"template_id": RETIRED}]


def test_every_malformed_item_and_the_name_are_reported_at_once():
    items = [
        "mall",
        {"template_id": ACTIVE, "submenu": "A"},
        {"submenu": "", "items": []},
        {"submenu": "B", "items": "C"},
        {},
    ]
    assert problems_of(lambda: menu("", items)) == [
        ("name", "required"),
        ("items[0]", "type"),
        ("items[1]", "shape"),
        ("items[2].submenu", "required"),
        ("items[3].items", "type"),
        ("items[4]", "shape"),
    ]
    assert problems_of(lambda: menu(items={"template_id": ACTIVE})) == [("items", "type")]


def test_the_templates_of_a_tree_are_found_at_every_depth():
    assert menu_template_ids(nested(3) + [{"template_id": RETIRED}, "x", {"template_id": 5}]) == {
        ACTIVE,
        RETIRED,
    }


def summary(template_id: str, status: TemplateStatus) -> TemplateSummary:
    return TemplateSummary(template_id, f"Mall {template_id[-2:]}", status, 2, str(uuid.uuid4()))


def test_someone_writing_a_note_sees_no_retired_template_and_no_submenu_left_empty_by_them():
    summaries = {
        ACTIVE: summary(ACTIVE, TemplateStatus.ACTIVE),
        RETIRED: summary(RETIRED, TemplateStatus.RETIRED),
    }
    stored = [
        {"template_id": RETIRED},
        {"submenu": "Remisser", "items": [{"template_id": ACTIVE}, {"template_id": RETIRED}]},
        {"submenu": "Gamla", "items": [{"template_id": RETIRED}]},
    ]
    assert menu_entries(stored, summaries, include_retired=False) == (
        Submenu("Remisser", (summaries[ACTIVE],)),
    )
    assert menu_entries(stored, summaries, include_retired=True) == (
        summaries[RETIRED],
        Submenu("Remisser", (summaries[ACTIVE], summaries[RETIRED])),
        Submenu("Gamla", (summaries[RETIRED],)),
    )
