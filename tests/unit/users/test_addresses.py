import uuid

import pytest

from .conftest import VALID_ADDRESS


def test_address_book_crud(users):
    me = users.new_user()
    created = users.post("/me/addresses", me, {**VALID_ADDRESS, "line2": "Flat 3", "country": "gb"})
    assert created.status == 201
    address = created.json
    assert address["country"] == "GB" and address["line2"] == "Flat 3" and address["region"] is None
    assert set(address) >= {"id", "name", "line1", "line2", "city", "region", "postal_code", "country"}
    assert created.headers["location"].endswith(address["id"])
    assert users.get(f"/me/addresses/{address['id']}", me).json == address
    listed = users.get("/me/addresses", me).json
    assert listed["items"] == [address] and listed["next_cursor"] is None
    changed = users.patch(f"/me/addresses/{address['id']}", me, {"city": "Cambridge", "line2": None})
    assert changed.status == 200
    assert changed.json["city"] == "Cambridge" and changed.json["line2"] is None
    assert changed.json["line1"] == VALID_ADDRESS["line1"]
    assert users.delete(f"/me/addresses/{address['id']}", me).status == 204
    assert users.get(f"/me/addresses/{address['id']}", me).status == 404
    assert users.get("/me/addresses", me).json["items"] == []


def test_another_users_address_is_404_for_every_verb(users):
    owner, intruder = users.new_user(), users.new_user()
    address_id = users.post("/me/addresses", owner, VALID_ADDRESS).json["id"]
    path = f"/me/addresses/{address_id}"
    assert users.get(path, intruder).status == 404
    assert users.patch(path, intruder, {"city": "Stolen"}).status == 404
    assert users.delete(path, intruder).status == 404
    assert users.get("/me/addresses", intruder).json["items"] == []
    assert users.get(path, owner).json["city"] == VALID_ADDRESS["city"]  # untouched
    assert users.get("/me/addresses/not-a-uuid", owner).status == 404


def test_address_validation_is_400_per_field_and_creates_nothing(users):
    me = users.new_user()
    response = users.post("/me/addresses", me, {"name": "", "line1": "   ", "city": "x" * 101,
                                                "postal_code": "!!", "country": "XX", "extra": 1})
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json["errors"]) == {"name", "line1", "city", "postal_code", "country", "extra"}
    missing = users.post("/me/addresses", me, {})
    assert set(missing.json["errors"]) == {"name", "line1", "city", "postal_code", "country"}
    assert users.post("/me/addresses", me, {**VALID_ADDRESS, "country": "GBR"}).status == 400
    assert users.get("/me/addresses", me).json["items"] == []


def test_patch_validation(users):
    me = users.new_user()
    address_id = users.post("/me/addresses", me, VALID_ADDRESS).json["id"]
    path = f"/me/addresses/{address_id}"
    refused = users.patch(path, me, {"line1": None, "country": "ZZ"})
    assert refused.status == 400 and set(refused.json["errors"]) == {"line1", "country"}
    assert users.get(path, me).json["line1"] == VALID_ADDRESS["line1"]


def test_addresses_page_with_limit_and_cursor(users):
    me, other = users.new_user(), users.new_user()
    ids = {users.post("/me/addresses", me, {**VALID_ADDRESS, "name": f"A{i}"}).json["id"] for i in range(5)}
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = users.get("/me/addresses", me, query=query).json
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    first_cursor = users.get("/me/addresses", me, query={"limit": "2"}).json["next_cursor"]
    foreign = users.get("/me/addresses", other, query={"cursor": first_cursor})
    assert foreign.status == 400 and "cursor" in foreign.json["errors"]  # cursors are bound to their user
    for bad in ("0", "101", "ten"):
        assert users.get("/me/addresses", me, query={"limit": bad}).status == 400


def test_address_book_has_a_limit(users, monkeypatch):
    from users import addresses

    monkeypatch.setattr(addresses, "MAX_ADDRESSES", 2)
    me = users.new_user()
    assert [users.post("/me/addresses", me, VALID_ADDRESS).status for _ in range(3)] == [201, 201, 409]


@pytest.mark.dynamodb_local
def test_the_cap_holds_under_concurrent_adds(users, monkeypatch):
    """70 concurrent adds stored 51 when the cap was a count before the write; now it is a conditional counter."""
    from concurrent.futures import ThreadPoolExecutor

    from meridian.errors import Conflict
    from users import addresses
    from users.models import Address

    monkeypatch.setattr(addresses, "MAX_ADDRESSES", 5)
    me = str(uuid.uuid4())
    data = dict(VALID_ADDRESS)

    def add(_):
        try:
            addresses.add(me, data)
            return "added"
        except Conflict:
            return "full"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(add, range(30)))
    stored = Address.count(f"USER#{me}", Address.sk.startswith("ADDRESS#"), consistent_read=True)
    assert (outcomes.count("added"), stored) == (5, 5)
    first = next(iter(Address.query(f"USER#{me}", Address.sk.startswith("ADDRESS#"))))
    addresses.remove(me, first.address_id)
    assert add(0) == "added" and add(0) == "full"            # a delete frees exactly one place
