"""An organisation of its own per test, driven over gRPC as its administrator and users."""

import uuid
from datetime import date

from argon2 import PasswordHasher
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.identity.v1 import identity_pb2_grpc
from elevhalsa.imports.v1 import imports_pb2_grpc
from elevhalsa.records.v1 import records_pb2 as rpb
from elevhalsa.records.v1 import records_pb2_grpc
from google.protobuf import struct_pb2

from services.common.consistency import merge_tokens
from services.common.convert import date_to_proto
from services.common.db import create_engine, session_factory
from services.common.grpc_client import call
from services.common.uow import UnitOfWork
from services.identity.adapters.orm import KIT as IDENTITY_KIT
from services.identity.adapters.repository import IdentityRepository
from services.identity.service_layer.bootstrap import bootstrap_organisation
from tests.support.services import InProcessServices

PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def valid_personnummer(serial: int) -> str:
    """A valid personnummer for a child born 2015-03-12 with the given serial (1-999; 000 is no serial)."""
    from personnummer import personnummer

    for digit in range(10):
        candidate = f"20150312{serial % 1000:03d}{digit}"
        if personnummer.valid(candidate):
            return candidate
    raise ValueError(serial)


class Org:
    """Helpers that create things as the administrator and remember consistency tokens."""

    def __init__(self, services: InProcessServices, org_id: str, admin_email: str):
        self.services = services
        self.org_id = org_id
        self.admin_email = admin_email
        self.admin = ""
        self.tokens: list[str] = []
        self.identity = identity_pb2_grpc.IdentityServiceStub(services.channels["identity"])
        self.authz = authz_pb2_grpc.AuthzServiceStub(services.channels["authz"])
        self.records = records_pb2_grpc.RecordsServiceStub(services.channels["records"])
        self.imports = imports_pb2_grpc.ImportsServiceStub(services.channels["imports"])

    @property
    def token(self) -> str:
        """A consistency token at least as fresh as everything this helper did."""
        return merge_tokens(self.tokens)

    def remember(self, reply):
        if getattr(reply, "consistency_token", ""):
            self.tokens.append(reply.consistency_token)
        return reply

    async def login(self, email: str, password: str = PASSWORD) -> str:
        reply = await call(
            self.identity.IssueToken, ipb.IssueTokenRequest(email=email, password=password), anonymous=True
        )
        return reply.access_token

    async def as_admin(self, method, request):
        return self.remember(await call(method, request, token=self.admin))

    async def unit(self, name: str | None = None, external_id: str = "") -> ipb.Unit:
        request = ipb.CreateUnitRequest(
            name=name or f"Skola {uuid.uuid4().hex[:6]}", kind="school", external_id=external_id
        )
        return (await self.as_admin(self.identity.CreateUnit, request)).unit

    async def role(self, name: str | None = None, external_id: str = "") -> ipb.UserRole:
        request = ipb.CreateUserRoleRequest(
            name=name or f"Roll {uuid.uuid4().hex[:6]}", external_id=external_id
        )
        return (await self.as_admin(self.identity.CreateUserRole, request)).role

    async def folder(self, name: str | None = None) -> rpb.Folder:
        request = rpb.CreateFolderRequest(name=name or f"Mapp {uuid.uuid4().hex[:6]}")
        return (await self.as_admin(self.records.CreateFolder, request)).folder

    async def grant(self, role_id: str, folder_id: str, access=authz_pb2.ACCESS_READ_WRITE) -> None:
        grant = authz_pb2.Grant(role_id=role_id, folder_id=folder_id, access=access)
        await self.as_admin(
            self.authz.SetGrant, authz_pb2.SetGrantRequest(grant=grant, consistency_token=self.token)
        )

    async def user(
        self, *, active: bool = True, level=ipb.PERMISSION_LEVEL_MEMBER, external_id: str = ""
    ) -> tuple[ipb.User, str]:
        """A user who can log in; returns (user, email)."""
        email = f"user-{uuid.uuid4().hex[:8]}@test.elevhalsa.se"
        request = ipb.CreateUserRequest(
            first_name="Test",
            last_name="Användare",
            email=email,
            active=active,
            permission_level=level,
            password=PASSWORD,
            external_id=external_id,
        )
        return (await self.as_admin(self.identity.CreateUser, request)).user, email

    async def assign(
        self,
        user_id: str,
        role_id: str,
        unit_id: str = "",
        *,
        valid_from: date | None = None,
        valid_to: date | None = None,
    ):
        request = ipb.CreateAssignmentRequest(
            user_id=user_id,
            role_id=role_id,
            unit_id=unit_id,
            all_units=not unit_id,
            valid_from=date_to_proto(valid_from),
            valid_to=date_to_proto(valid_to),
        )
        return (await self.as_admin(self.identity.CreateAssignment, request)).assignment

    async def student(self, unit_id: str, serial: int | None = None) -> rpb.Student:
        request = rpb.CreateStudentRequest(
            unit_id=unit_id,
            personnummer=valid_personnummer(serial if serial is not None else 1 + uuid.uuid4().int % 999),
            first_name="Elev",
            last_name="Testsson",
        )
        return (await self.as_admin(self.records.CreateStudent, request)).student

    async def free_text_template(self, *headings: str) -> rpb.NoteTemplate:
        """A template with a free-text row per heading (one "Anteckning" row by default)."""
        rows = [
            rpb.TemplateRow(heading=h, row_type=rpb.ROW_TYPE_FREE_TEXT) for h in headings or ("Anteckning",)
        ]
        request = rpb.CreateNoteTemplateRequest(name=f"Mall {uuid.uuid4().hex[:6]}", rows=rows)
        return (await self.as_admin(self.records.CreateNoteTemplate, request)).template

    async def member_with_role(self, role_id: str, unit_id: str = "") -> tuple[ipb.User, str]:
        """A logged-in member holding the role on the unit (or all units); returns (user, access token)."""
        user, email = await self.user()
        await self.assign(user.id, role_id, unit_id)
        return user, await self.login(email)


def free_text_note(
    student_id: str, folder_id: str, template: rpb.NoteTemplate, *texts: str, token: str = ""
) -> rpb.WriteNoteRequest:
    """A note of a free-text template, one text per row in order."""
    rows = [
        rpb.RowInput(row_id=row.id, value=struct_pb2.Value(string_value=text))
        for row, text in zip(template.version.rows, texts, strict=False)
    ]
    return rpb.WriteNoteRequest(
        student_id=student_id,
        folder_id=folder_id,
        template_id=template.id,
        content=rpb.NoteContent(rows=rows),
        consistency_token=token,
    )


async def new_org(services: InProcessServices) -> Org:
    """A fresh organisation with its administrator logged in."""
    engine = create_engine(services.database_url, application_name="tests", pool_size=1)
    email = f"admin-{uuid.uuid4().hex[:8]}@test.elevhalsa.se"
    try:
        async with UnitOfWork(session_factory(engine), IDENTITY_KIT, "identity", IdentityRepository) as uow:
            result = await bootstrap_organisation(
                uow,
                FAST_HASHER,
                name=f"Kommun {uuid.uuid4().hex[:8]}",
                admin_email=email,
                admin_password=PASSWORD,
            )
    finally:
        await engine.dispose()
    org = Org(services, result.org_id, email)
    org.admin = await org.login(email)
    return org
