"""Post-its through the gateway over HTTP: personal working notes that nobody but their owner ever reaches."""

import uuid

import pytest

from tests.support.api import Tenant


def member(tenant: Tenant, **fields) -> tuple[dict, str]:
    """A user with no role at all, logged in: post-its need none."""
    user, email = tenant.user(**fields)
    return user, tenant.api.login(email)


def write(api, token: str, words: str) -> dict:
    reply = api.call("POST", "/api/v1/post-its", token, json={"text": words})
    assert reply.status_code == 201, reply.text
    return reply.json()


def listed(api, token: str) -> list[str]:
    reply = api.call("GET", "/api/v1/post-its", token)
    assert reply.status_code == 200, reply.text
    return [p["text"] for p in reply.json()["post_its"]]


def assert_problem(reply, status: int, field: str) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["field"] == field
    return body


def test_a_member_writes_lists_edits_and_deletes_post_its(api, tenant):
    _, me = member(tenant)
    first = write(api, me, "Ring vårdnadshavare")
    second = write(api, me, "Boka EHT")
    assert listed(api, me) == ["Boka EHT", "Ring vårdnadshavare"]

    edited = api.call("PATCH", f"/api/v1/post-its/{first['id']}", me, json={"text": "Ringt"})
    assert edited.status_code == 200 and edited.json()["text"] == "Ringt"
    assert api.call("GET", f"/api/v1/post-its/{first['id']}", me).json()["text"] == "Ringt"

    assert api.call("DELETE", f"/api/v1/post-its/{second['id']}", me).status_code == 204
    assert listed(api, me) == ["Ringt"]
    assert api.call("GET", f"/api/v1/post-its/{second['id']}", me).status_code == 404


def test_the_list_comes_a_page_at_a_time(api, tenant):
    _, me = member(tenant)
    for n in range(3):
        write(api, me, f"Lapp {n}")
    first = api.call("GET", "/api/v1/post-its", me, params={"limit": 2}).json()
    rest = api.call("GET", "/api/v1/post-its", me, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["text"] for p in first["post_its"] + rest["post_its"]] == ["Lapp 2", "Lapp 1", "Lapp 0"]
    assert rest["next_cursor"] == ""


def test_another_member_and_an_administrator_get_404_and_do_not_see_it_listed(api, tenant):
    _, owner = member(tenant)
    _, other = member(tenant)
    mine = write(api, owner, "Bara min")
    path = f"/api/v1/post-its/{mine['id']}"
    for token in (other, tenant.admin):
        assert mine["id"] not in [
            p["id"] for p in api.call("GET", "/api/v1/post-its", token).json()["post_its"]
        ]
        assert api.call("GET", path, token).status_code == 404
        assert api.call("PATCH", path, token, json={"text": "Ändrad"}).status_code == 404
        assert api.call("DELETE", path, token).status_code == 404
        transfer = api.call("POST", f"{path}/transfer", token, json={"user_id": str(uuid.uuid4())})
        assert transfer.status_code == 404
    assert api.call("GET", f"/api/v1/post-its/{uuid.uuid4()}", owner).status_code == 404
    assert listed(api, owner) == ["Bara min"]


def test_another_organisations_post_it_is_404(api, tenant, other_tenant):
    _, mine = member(tenant)
    post_it = write(api, mine, "Vår organisations")
    assert api.call("GET", f"/api/v1/post-its/{post_it['id']}", other_tenant.admin).status_code == 404


def test_a_transfer_moves_the_post_it_to_the_receiver(api, tenant):
    _, giver = member(tenant)
    receiver, receiving = member(tenant)
    post_it = write(api, giver, "Ta över")
    reply = api.call(
        "POST", f"/api/v1/post-its/{post_it['id']}/transfer", giver, json={"user_id": receiver["id"]}
    )
    assert reply.status_code == 204, reply.text
    assert listed(api, giver) == []
    assert listed(api, receiving) == ["Ta över"]
    assert api.call("GET", f"/api/v1/post-its/{post_it['id']}", giver).status_code == 404


def test_a_transfer_to_an_inactive_unknown_or_foreign_user_is_refused_and_changes_nothing(
    api, tenant, other_tenant
):
    _, giver = member(tenant)
    inactive, _ = tenant.user(active=False)
    foreign, _ = other_tenant.user()
    post_it = write(api, giver, "Stannar")
    for user_id in (inactive["id"], str(uuid.uuid4()), foreign["id"]):
        reply = api.call(
            "POST", f"/api/v1/post-its/{post_it['id']}/transfer", giver, json={"user_id": user_id}
        )
        assert "user" in assert_problem(reply, 422, "user_id")["detail"]
    assert listed(api, giver) == ["Stannar"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "  \n "},
        {"text": "x" * 10_001},
        {"text": "nul\u0000"},
        {"text": 5},
        {},
        {"text": "a", "x": 1},
    ],
)
def test_bad_input_is_422_naming_the_field(api, tenant, body):
    _, me = member(tenant)
    reply = api.call("POST", "/api/v1/post-its", me, json=body)
    field = "x" if "x" in body else "text"
    assert_problem(reply, 422, field)
    assert listed(api, me) == []


def test_a_transfer_needs_a_user_id_that_is_a_uuid(api, tenant):
    _, me = member(tenant)
    post_it = write(api, me, "Lapp")
    for body in ({}, {"user_id": 5}, {"user_id": "nobody"}):
        reply = api.call("POST", f"/api/v1/post-its/{post_it['id']}/transfer", me, json=body)
        assert_problem(reply, 422, "user_id")
