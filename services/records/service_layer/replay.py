"""An organisation's records state as events, for `replay-org`: what consumers build from records."""

import uuid

from elevhalsa.records.v1 import events_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from services.records.adapters.repository import RecordsRepository


async def current_state(session: AsyncSession, org_id: uuid.UUID) -> list[Message]:
    """The organisation's folders and template menus."""
    repo = RecordsRepository(session, org_id)
    folders = [events_pb2.FolderCreated(folder_id=str(folder.id)) for folder in await repo.folders()]
    menus = [events_pb2.TemplateMenuCreated(menu_id=str(menu.id)) for menu in await repo.all_template_menus()]
    return [*folders, *menus]
