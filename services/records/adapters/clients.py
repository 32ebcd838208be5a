"""Records' calls to authz and identity, as the current caller."""

import uuid
from dataclasses import dataclass

import grpc
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from elevhalsa.identity.v1 import identity_pb2, identity_pb2_grpc

from services.common.authz_client import ask_authz
from services.common.grpc_client import call
from services.records.adapters.orm import Note
from services.records.domain.post_its import Receiver

ACTIONS = {"read": authz_pb2.ACTION_READ, "write": authz_pb2.ACTION_WRITE, "sign": authz_pb2.ACTION_SIGN}


@dataclass(frozen=True)
class OrganisationSettings:
    """The organisation's journal rules, as identity holds them."""

    prevent_editing_own_signed_notes: bool
    subadmins_manage_templates: bool
    memory_notes_allowed: bool


@dataclass(frozen=True)
class NoteFilter:
    folder_readable: bool
    allowed: set[str]
    reason: str


@dataclass(frozen=True)
class VisibleUnits:
    """The units whose students the caller may see; `all_units`: every unit, ones created later too."""

    unit_ids: frozenset[str]
    all_units: bool

    def __contains__(self, unit_id: uuid.UUID) -> bool:
        """Whether the caller may see the students of a unit of their organisation."""
        return self.all_units or str(unit_id) in self.unit_ids


class AuthzClient:
    """Records' questions to authz; `timeout` is authz's own deadline (AUTHZ_CALL_TIMEOUT_SECONDS)."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        self._stub = authz_pb2_grpc.AuthzServiceStub(channel)
        self._timeout = timeout

    async def check(
        self, unit_id: uuid.UUID, folder_id: uuid.UUID | None, action: str, token: str
    ) -> tuple[bool, str]:
        """(allowed, reason) for "read", "write" or "sign"."""
        response = await self._check(unit_id, folder_id, action, token)
        return response.allowed, response.reason

    async def writable_menus(
        self, unit_id: uuid.UUID, folder_id: uuid.UUID, token: str
    ) -> tuple[bool, str, list[str]]:
        """(allowed, reason, template menu ids) of a write check: the menus the caller writes with there."""
        response = await self._check(unit_id, folder_id, "write", token)
        return response.allowed, response.reason, list(response.template_menu_ids)

    async def _check(self, unit_id, folder_id, action: str, token: str) -> authz_pb2.CheckResponse:
        request = authz_pb2.CheckRequest(
            unit_id=str(unit_id),
            folder_id=str(folder_id) if folder_id else "",
            action=ACTIONS[action],
            consistency_token=token,
        )
        return await ask_authz(self._stub.Check, request, timeout=self._timeout)

    async def filter_notes(
        self, unit_id: uuid.UUID, folder_id: uuid.UUID, notes: list[Note], token: str
    ) -> NoteFilter:
        """One call for the whole list."""
        request = authz_pb2.FilterNotesRequest(
            unit_id=str(unit_id),
            folder_id=str(folder_id),
            consistency_token=token,
            notes=[
                authz_pb2.NoteRef(
                    note_id=str(n.id),
                    case_id=str(n.case_id) if n.case_id else "",
                    visible_to_case_members=n.visible_to_case_members,
                )
                for n in notes
            ],
        )
        response = await ask_authz(self._stub.FilterNotes, request, timeout=self._timeout)
        return NoteFilter(response.folder_readable, set(response.allowed_note_ids), response.reason)

    async def visible_units(self, token: str) -> VisibleUnits:
        """The units whose students the caller may see (one LookupStudents, asking for no student)."""
        request = authz_pb2.LookupStudentsRequest(consistency_token=token)
        response = await ask_authz(self._stub.LookupStudents, request, timeout=self._timeout)
        return VisibleUnits(frozenset(response.unit_ids), response.all_units)

    async def who_can_see(
        self, unit_id: uuid.UUID, folder_id: uuid.UUID, token: str
    ) -> authz_pb2.WhoCanSeeResponse:
        """Every user who may read the folder of the unit's students; PermissionDenied unless the caller is an
        administrator or may read it too."""
        request = authz_pb2.WhoCanSeeRequest(
            unit_id=str(unit_id), folder_id=str(folder_id), consistency_token=token
        )
        return await ask_authz(self._stub.WhoCanSee, request, timeout=self._timeout)

    async def explain(
        self,
        user_id: uuid.UUID | None,
        unit_id: uuid.UUID,
        folder_id: uuid.UUID | None,
        action: str,
        token: str,
    ) -> authz_pb2.ExplainResponse:
        """Why the user (None: the caller) may or may not; PermissionDenied for someone else's, unless the
        caller is an administrator."""
        request = authz_pb2.ExplainRequest(
            user_id=str(user_id) if user_id else "",
            unit_id=str(unit_id),
            folder_id=str(folder_id) if folder_id else "",
            action=ACTIONS[action],
            consistency_token=token,
        )
        return await ask_authz(self._stub.Explain, request, timeout=self._timeout)


class IdentityClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        self._stub = identity_pb2_grpc.IdentityServiceStub(channel)
        self._timeout = timeout

    async def require_unit(self, unit_id: uuid.UUID) -> None:
        """NotFound (naming unit_id) unless the unit exists in the caller's organisation."""
        await call(
            self._stub.GetUnit, identity_pb2.GetUnitRequest(unit_id=str(unit_id)), timeout=self._timeout
        )

    async def settings(self) -> OrganisationSettings:
        """The caller's organisation's settings (identity answers any active member)."""
        response = await call(
            self._stub.GetSettings, identity_pb2.GetSettingsRequest(), timeout=self._timeout
        )
        return OrganisationSettings(
            prevent_editing_own_signed_notes=response.prevent_editing_own_signed_notes,
            subadmins_manage_templates=response.subadmins_manage_templates,
            memory_notes_allowed=response.memory_notes_allowed,
        )

    async def uses_memory_notes(self, user_id: uuid.UUID) -> bool:
        """The caller's own "use memory notes" flag (identity lets every user read themselves)."""
        request = identity_pb2.GetUserRequest(user_id=str(user_id))
        return (await call(self._stub.GetUser, request, timeout=self._timeout)).use_memory_notes

    async def receiver(self, user_id: uuid.UUID) -> Receiver | None:
        """The user if they belong to the caller's organisation (identity leaves out everyone else), else None."""
        request = identity_pb2.GetUserNamesRequest(user_ids=[str(user_id)])
        response = await call(self._stub.GetUserNames, request, timeout=self._timeout)
        for user in response.users:
            if user.id == str(user_id):
                return Receiver(user_id=user_id, active=user.active)
        return None
