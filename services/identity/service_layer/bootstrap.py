"""Creating an organisation with its first administrator, the one step that needs no caller."""

import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import events_pb2

from services.common.auth import PermissionLevel
from services.common.convert import required_text
from services.common.email import normalise_email
from services.common.uow import UnitOfWork
from services.identity.adapters.orm import User
from services.identity.service_layer import events
from services.identity.service_layer.handlers import add_credential


@dataclass(frozen=True)
class Bootstrapped:
    org_id: str
    admin_id: str | None
    created: bool  # False when the organisation already existed and nothing was changed


async def bootstrap_organisation(
    uow: UnitOfWork, hasher: PasswordHasher, *, name: str, admin_email: str, admin_password: str
) -> Bootstrapped:
    """Create the organisation and its administrator, unless an organisation of that name exists."""
    name = required_text(name, "name")
    email = normalise_email(admin_email)
    # The repository of the organisation about to be created. Whether the name is free is the one question
    # asked across organisations: names are unique among all of them, and this one has no rows yet.
    repo = uow.repository(uuid.uuid4())
    existing = await repo.organisation_named(name)
    if existing:
        return Bootstrapped(org_id=str(existing.id), admin_id=None, created=False)
    org = repo.add_organisation(name)
    await repo.flush()
    admin = User(
        id=uuid.uuid4(),
        org_id=org.id,
        first_name="Administratör",
        last_name=name,
        email=email,
        active=True,
        permission_level=PermissionLevel.ADMIN,
        manually_managed=True,
        may_sign_notes=True,
    )
    repo.add(admin)
    await add_credential(repo, admin, admin_password, hasher)
    uow.publish(str(org.id), events_pb2.OrganisationCreated())
    uow.publish(str(org.id), events.user_changed(admin))
    await uow.commit()
    return Bootstrapped(org_id=str(org.id), admin_id=str(admin.id), created=True)
