"""Password login against a fake repository and a spy hasher: one refusal for every failure, and input no real
login has never costs a password hash."""

import uuid

import pytest

from services.common.auth import PermissionLevel, TokenSigner, TokenVerifier, generate_key_pair
from services.common.email import MAX_EMAIL_LENGTH
from services.common.errors import Unauthenticated
from services.identity.adapters.orm import Credential, User
from services.identity.domain.model import MAX_PASSWORD_LENGTH
from services.identity.service_layer.login import Login
from tests.unit.identity.fakes import FakeStore, FakeUnitOfWork, SpyHasher

ORG = uuid.UUID("00000000-0000-0000-0000-00000000000a")
EMAIL = "stina@kommun.se"
PASSWORD = "correct horse battery"
ISSUER, AUDIENCE = "elevhalsa-identity", "elevhalsa"
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()


def stored_user(store: FakeStore, *, active: bool = True, email: str = EMAIL) -> User:
    user = User(
        id=uuid.uuid4(),
        org_id=ORG,
        first_name="Stina",
        last_name="Sköterska",
        email=email,
        active=active,
        permission_level="member",
    )
    credential = Credential(
        user_id=user.id, org_id=ORG, login_email=email, password_hash=f"hashed:{PASSWORD}"
    )
    store.rows += [user, credential]
    return user


@pytest.fixture
def hasher() -> SpyHasher:
    return SpyHasher()


@pytest.fixture
def login(hasher) -> Login:
    signer = TokenSigner(PRIVATE_KEY, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=900)
    return Login(hasher, signer)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeStore())


async def refusal(
    login: Login, uow: FakeUnitOfWork, email: str, password: str
) -> tuple[type, str, str | None]:
    with pytest.raises(Unauthenticated) as refused:
        await login.issue_token(uow, email, password)
    return type(refused.value), refused.value.message, refused.value.field


async def test_a_user_logs_in_with_any_casing_of_their_email_and_the_token_names_them(login, uow, hasher):
    user = stored_user(uow.store)
    token, lifetime = await login.issue_token(uow, "Stina@Kommun.SE", PASSWORD)
    caller = TokenVerifier(PUBLIC_KEY, issuer=ISSUER, audience=AUDIENCE).verify(token)
    assert (caller.user_id, caller.org_id, caller.permission_level) == (
        str(user.id),
        str(ORG),
        PermissionLevel.MEMBER,
    )
    assert lifetime == 900 and hasher.verified == [PASSWORD]


async def test_a_wrong_password_an_unknown_email_an_inactive_user_and_absurd_input_are_refused_alike(
    login, uow
):
    stored_user(uow.store)
    stored_user(uow.store, active=False, email="inaktiv@kommun.se")
    refusals = {
        await refusal(login, uow, EMAIL, "wrong password!"),
        await refusal(login, uow, "nobody@kommun.se", PASSWORD),
        await refusal(login, uow, "inaktiv@kommun.se", PASSWORD),
        await refusal(login, uow, "not an address", PASSWORD),
        await refusal(login, uow, "a" * 10_000 + "@kommun.se", PASSWORD),
    }
    assert len(refusals) == 1


async def test_an_unknown_email_still_costs_a_hash_so_it_takes_as_long_as_a_known_one(login, uow, hasher):
    await refusal(login, uow, "nobody@kommun.se", PASSWORD)
    assert hasher.verified == [PASSWORD]


@pytest.mark.parametrize(
    "email, password",
    [("a" * MAX_EMAIL_LENGTH + "@kommun.se", PASSWORD), (EMAIL, "p" * (MAX_PASSWORD_LENGTH + 1))],
    ids=["over-long e-mail", "over-long password"],
)
async def test_absurd_input_is_refused_before_it_reaches_the_password_hash(
    login, uow, hasher, email, password
):
    stored_user(uow.store)
    await refusal(login, uow, email, password)
    assert hasher.verified == []


async def test_a_login_writes_nothing(login, uow):
    stored_user(uow.store)
    await login.issue_token(uow, EMAIL, PASSWORD)
    assert uow.commits == 0 and uow.staged == []
