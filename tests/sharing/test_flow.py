"""The whole story through the API: request, approve with masking, call every exchange method."""

from __future__ import annotations


def test_conditional_request_approved_then_every_method_works(world):
    req = world.request()
    assert req["status"] == "pending" and req["due_at"] and not req["overdue"]
    inbox = world.approver.get("/api/v1/access-requests", params={"view": "inbox"}).json()
    assert [r["id"] for r in inbox["items"]] == [req["id"]]
    decided = world.approve(req["id"], masking={"mobile": "drop"})
    assert decided["status"] == "approved" and decided["grant_id"]
    grant = world.consumer.get(f"/api/v1/grants/{decided['grant_id']}").json()
    assert grant["masking"]["mobile"] == "drop" and grant["masking"]["id_number"] == "mask"
    assert grant["masking"]["children"] == "clear" and grant["status"] == "active"

    headers = world.bearer(world.client_a)
    person = world.rows[0]
    resp = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                   params={"id_number": person[0]}, headers=headers)
    assert resp.status_code == 200, resp.text
    (record,) = resp.json()["records"]
    assert record["id_number"] == person[0][:6] + "*" * 8 + person[0][-4:]
    assert record["name"] == "张" + "*" * (len(person[1]) - 1)
    assert "mobile" not in record and record["children"] == int(person[4])
    assert record["birth_date"] == f"{person[2][:4]}-{person[2][4:6]}-{person[2][6:]}"
    assert record["married"] is False and record["income"] == float(person[5])

    verify = world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                                      json={"match": {"id_number": person[0], "married": "否"}})
    assert verify.status_code == 200 and verify.json() == {"result": True}
    verify = world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                                      json={"match": {"id_number": person[0], "married": True}})
    assert verify.json() == {"result": False}

    export = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/export", params={"format": "csv"},
                                     headers=headers)
    assert export.status_code == 200, export.text
    lines = export.text.strip().splitlines()
    assert lines[0].replace('"', "").split(",")[:3] == ["_key", "id_number", "name"]
    assert len(lines) == 1 + len(world.rows)
    assert export.headers["GovShare-Feed-Cursor"] == str(len(world.rows))

    feed = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/changes", params={"limit": 10},
                                   headers=headers)
    assert feed.status_code == 200, feed.text
    body = feed.json()
    assert len(body["changes"]) == 10 and body["next_cursor"] == "10"
    assert {c["op"] for c in body["changes"]} == {"insert"}
