"""The rules of notes and versions, and the hash chain that finds a change made behind the service's back."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, PermissionDenied, PreconditionFailed
from services.records.domain.notes import (
    ChainLink,
    NoteFacts,
    NoteState,
    RowContent,
    VersionContent,
    chain_hash,
    changed_rows,
    require_amendable,
    require_draft_author,
    require_revision,
    require_signable,
    state_after_signing,
    verify_chain,
)

NURSE, DOCTOR = "nurse", "doctor"


def note(
    state=NoteState.DRAFT, current=1, latest=1, author=NURSE, latest_author=NURSE, revision=1
) -> NoteFacts:
    return NoteFacts(author, state, current, latest, latest_author, revision)


def test_a_draft_is_edited_only_by_its_author():
    require_draft_author(note(), NURSE, "edit")
    with pytest.raises(PermissionDenied):
        require_draft_author(note(), DOCTOR, "edit")


def test_a_signed_note_without_a_new_version_cannot_be_edited_or_signed_again():
    signed = note(NoteState.SIGNED)
    with pytest.raises(Conflict):
        require_draft_author(signed, NURSE, "edit")
    with pytest.raises(Conflict):
        require_signable(signed)


def test_the_author_of_a_pending_amendment_edits_it_even_if_someone_else_wrote_the_note():
    amended = note(NoteState.SIGNED, current=1, latest=2, latest_author=DOCTOR)
    require_draft_author(amended, DOCTOR, "edit")
    require_signable(amended)
    with pytest.raises(PermissionDenied):
        require_draft_author(amended, NURSE, "edit")


def test_only_a_signed_note_without_a_pending_version_is_amended():
    with pytest.raises(Conflict):
        require_amendable(note(), NURSE, prevent_own=False)
    with pytest.raises(Conflict):
        require_amendable(note(NoteState.SIGNED, latest=2), NURSE, prevent_own=False)
    require_amendable(note(NoteState.CHANGED, current=2, latest=2), NURSE, prevent_own=False)


def test_the_organisation_may_bar_authors_from_amending_their_own_signed_notes():
    signed = note(NoteState.SIGNED)
    with pytest.raises(PermissionDenied):
        require_amendable(signed, NURSE, prevent_own=True)
    require_amendable(signed, DOCTOR, prevent_own=True)


def test_an_edit_based_on_an_older_revision_is_refused():
    require_revision(note(revision=3), 3)
    require_revision(note(revision=3), None)
    with pytest.raises(PreconditionFailed):
        require_revision(note(revision=3), 2)


def test_signing_the_first_version_makes_the_note_signed_and_a_later_one_changed():
    assert state_after_signing(1) is NoteState.SIGNED
    assert state_after_signing(2) is NoteState.CHANGED


SIGNED_AT = datetime(2026, 11, 20, 9, 30, 0, 123456, tzinfo=UTC)


def content(note_id="n1", version=1, length=132.5) -> VersionContent:
    return VersionContent(
        note_id=note_id,
        version=version,
        student_id="s",
        folder_id="f",
        template_version_id="t",
        author_id=NURSE,
        responsible_user_id=None,
        event_date=date(2026, 11, 20),
        contact_type_id=None,
        signed_by=NURSE,
        signed_at=SIGNED_AT,
        rows=(
            RowContent(0, "r-length", "Längd", "length", length),
            RowContent(1, "r-text", "Bedömning", "free_text", "Ok"),
        ),
    )


def chain_of(*contents: VersionContent) -> list[ChainLink]:
    links, previous = [], ""
    for position, c in enumerate(contents, start=1):
        digest = chain_hash(c, previous)
        links.append(ChainLink(c, position, previous, digest))
        previous = digest
    return links


def test_the_hash_is_the_same_whatever_time_zone_the_signing_time_is_read_in():
    stockholm = SIGNED_AT.astimezone(timezone(timedelta(hours=1)))
    assert chain_hash(content(), "") == chain_hash(replace(content(), signed_at=stockholm), "")


def test_the_hash_changes_with_any_part_of_the_version():
    base = chain_hash(content(), "")
    assert chain_hash(content(length=132.6), "") != base
    assert chain_hash(replace(content(), student_id="other"), "") != base
    assert chain_hash(content(), "previous") != base


def test_an_intact_chain_has_no_breaks():
    links = chain_of(content("n1"), content("n2"), content("n1", version=2))
    assert verify_chain(links, 3, links[-1].content_hash) == []


def test_a_changed_row_breaks_the_chain_at_that_version():
    links = chain_of(content("n1"), content("n2"), content("n3"))
    links[1] = replace(links[1], content=content("n2", length=140.0))
    breaks = verify_chain(links, 3, links[-1].content_hash)
    assert [(b.note_id, b.problem) for b in breaks] == [("n2", "the content does not match its signed hash")]


def test_a_removed_version_is_found_in_the_middle_and_at_the_end():
    links = chain_of(content("n1"), content("n2"), content("n3"))
    head = links[-1].content_hash
    middle = verify_chain([links[0], links[2]], 3, head)
    assert [(b.note_id, b.problem) for b in middle] == [
        ("n3", "an entry before this one is missing"),
        ("n3", "the link to the previous entry does not match"),
        ("", "the folder's chain has 3 signed entries but 2 were found"),
    ]
    end = verify_chain(links[:2], 3, head)
    assert [b.problem for b in end] == ["the folder's chain has 3 signed entries but 2 were found"]


def test_the_history_shows_only_the_rows_that_changed():
    before = [
        RowContent(0, "a", "Längd", "length", 132.5),
        RowContent(1, "b", "Bedömning", "free_text", "Ok"),
    ]
    after = [
        RowContent(0, "a", "Längd", "length", 132.5),
        RowContent(1, "b", "Bedömning", "free_text", "Bra"),
    ]
    changes = changed_rows(before, after)
    assert [(c.heading, c.before, c.after) for c in changes] == [("Bedömning", "Ok", "Bra")]
    assert changed_rows(before, before) == []
