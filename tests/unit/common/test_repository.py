"""The tenant repository: every query it builds is scoped by its organisation, and it refuses foreign rows."""

import uuid

import pytest
from sqlalchemy.dialects import postgresql

from services.common.repository import TenantRepository, open_to_every_member
from services.records.adapters.orm import Folder

ORG = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
OTHER_ORG = uuid.UUID("00000000-0000-0000-0000-0000000000b2")


class FakeSession:
    def __init__(self):
        self.added = []

    def add(self, row):
        self.added.append(row)


def sql(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_every_select_is_scoped_by_the_organisation():
    repo = TenantRepository(FakeSession(), ORG)
    query = sql(repo.select_of(Folder).where(Folder.name == "Medicinsk journal"))
    assert f"records.folders.org_id = '{ORG}'" in query
    assert "records.folders.name = 'Medicinsk journal'" in query


def test_a_row_of_another_organisation_is_refused_before_it_reaches_the_session():
    session = FakeSession()
    repo = TenantRepository(session, ORG)
    repo.add(Folder(id=uuid.uuid4(), org_id=ORG, name="Elevakt", group_notes_allowed=False))
    with pytest.raises(ValueError, match="added through"):
        repo.add(Folder(id=uuid.uuid4(), org_id=OTHER_ORG, name="Elevakt", group_notes_allowed=False))
    assert [row.org_id for row in session.added] == [ORG]


def test_an_open_read_says_why_it_is_open():
    @open_to_every_member("folder names are the tabs every member sees")
    async def list_folders():
        return []

    assert list_folders.open_to_every_member == "folder names are the tabs every member sees"
