"""Imports' calls to identity, as the user who started the run."""

import grpc
from elevhalsa.identity.v1 import identity_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2_grpc

from services.common.convert import date_from_proto, date_to_proto
from services.common.grpc_client import auth_metadata, call
from services.common.grpc_errors import from_grpc_error
from services.imports.domain.user_import import Assignment, DesiredUser, JournalUser

LIST_TIMEOUT_SECONDS = 120.0


class IdentityClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        self._stub = identity_pb2_grpc.IdentityServiceStub(channel)
        self._timeout = timeout

    async def role_ids_by_external_id(self) -> dict[str, str]:
        response = await call(self._stub.ListUserRoles, pb.ListUserRolesRequest(), timeout=self._timeout)
        return {r.external_id.lower(): r.id for r in response.roles if r.external_id}

    async def unit_ids_by_external_id(self) -> dict[str, str]:
        response = await call(self._stub.ListUnits, pb.ListUnitsRequest(), timeout=self._timeout)
        return {u.external_id.lower(): u.id for u in response.units if u.external_id}

    async def journal_users(self) -> dict[str, JournalUser]:
        """Every user with an external id, keyed by it."""
        users = {}
        stream = self._stub.ListImportUsers(
            pb.ListImportUsersRequest(), timeout=LIST_TIMEOUT_SECONDS, metadata=auth_metadata()
        )
        try:
            async for item in stream:
                users[item.user.external_id] = journal_user(item)
        except grpc.aio.AioRpcError as error:
            raise from_grpc_error(error) from None
        return users

    async def apply(self, run_id: str, upserts: list[DesiredUser], deactivate_ids: list[str]):
        """Apply one batch; returns (results, consistency token)."""
        request = pb.ApplyImportedUsersRequest(
            run_id=run_id, upserts=[imported_user(u) for u in upserts], deactivate_user_ids=deactivate_ids
        )
        response = await call(self._stub.ApplyImportedUsers, request, timeout=LIST_TIMEOUT_SECONDS)
        return list(response.results), response.consistency_token


def journal_user(item: pb.ImportUser) -> JournalUser:
    return JournalUser(
        user_id=item.user.id,
        external_id=item.user.external_id,
        first_name=item.user.first_name,
        last_name=item.user.last_name,
        email=item.user.email or None,
        active=item.user.active,
        manually_managed=item.user.manually_managed,
        assignments=frozenset(
            Assignment(
                role_id=a.role_id,
                unit_id=a.unit_id or None,
                all_units=a.all_units,
                valid_from=date_from_proto(a.valid_from, "valid_from"),
                valid_to=date_from_proto(a.valid_to, "valid_to"),
            )
            for a in item.assignments
        ),
    )


def imported_user(user: DesiredUser) -> pb.ImportedUser:
    return pb.ImportedUser(
        external_id=user.external_id,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email or "",
        active=user.active,
        assignments=[
            pb.ImportedAssignment(
                role_id=a.role_id,
                unit_id=a.unit_id or "",
                all_units=a.all_units,
                valid_from=date_to_proto(a.valid_from),
                valid_to=date_to_proto(a.valid_to),
            )
            for a in user.assignments
        ],
    )
