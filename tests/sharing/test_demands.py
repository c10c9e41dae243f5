"""Supply–demand matching: suggestions, answers, feedback, and the overdue / unmet / promise lists."""

from __future__ import annotations

from datetime import date, timedelta

from govshare.core.database import session_scope, utcnow
from govshare.sharing import demands
from govshare.sharing.schemas import DemandAnswer, DemandCreate


def _demand(world, **body) -> dict:
    payload = {"title": "需要人员婚姻情况", "description": "办理住房公积金提取时核实申请人婚姻状况",
               "wanted_items": "身份证号 姓名 是否已婚", "purpose": "住房公积金提取审核",
               "wanted_by": str(date.today() + timedelta(days=30)), **body}
    resp = world.consumer.post("/api/v1/demands", json=payload)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_vague_demand_gets_the_matching_entry_suggested(clean_db, world):
    # On an empty platform (clean_db): other tests' entries have the same name.
    unrelated = world.platform.entry(world.provider_headers, name="道路运输经营许可信息", summary="道路运输经营许可证核发信息",
                                     class_path=["交通", "运输", "许可"])
    demand = _demand(world)
    assert demand["status"] == "open" and not demand["overdue"]
    assert world.entry["id"] in [s["entry_id"] for s in demand["suggestions"]]
    synonym = _demand(world, title="需要结婚登记记录", wanted_items="", description="")
    assert world.entry["id"] in [s["entry_id"] for s in synonym["suggestions"]]  # 结婚 ≈ 婚姻
    assert unrelated["id"] not in [s["entry_id"] for s in synonym["suggestions"]]


def test_answered_with_an_entry_and_closed_satisfied_is_met(world):
    demand = _demand(world)
    to_me = world.approver.get("/api/v1/demands", params={"view": "to_me"}).json()
    assert demand["id"] in [d["id"] for d in to_me["items"]]
    answer = world.approver.post(f"/api/v1/demands/{demand['id']}/answer",
                                 json={"answer": "exists", "entry_id": world.entry["id"]})
    assert answer.status_code == 200 and answer.json()["answer_entry_id"] == world.entry["id"]
    closed = world.consumer.post(f"/api/v1/demands/{demand['id']}/close",
                                 json={"satisfied": True, "rating": 5, "comment": "数据及时准确"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    met = world.consumer.get("/api/v1/demands", params={"view": "met"}).json()
    assert demand["id"] in [d["id"] for d in met["items"]]
    again = world.consumer.post(f"/api/v1/demands/{demand['id']}/close", json={"satisfied": True, "rating": 5})
    assert again.status_code == 409


def test_cannot_share_needs_a_legal_basis_and_closed_unmet_stays_listed_with_the_reason(world):
    demand = _demand(world)
    bare = world.approver.post(f"/api/v1/demands/{demand['id']}/answer", json={"answer": "cannot_share"})
    assert bare.status_code == 422 and bare.json()["error"]["details"][0]["field"] == "note"
    basis = "《婚姻登记条例》未授权向第三方提供"
    assert world.approver.post(f"/api/v1/demands/{demand['id']}/answer",
                               json={"answer": "cannot_share", "note": basis}).status_code == 200
    world.consumer.post(f"/api/v1/demands/{demand['id']}/close", json={"satisfied": False, "rating": 1})
    unmet = world.operator.get("/api/v1/demands", params={"view": "unmet"}).json()
    (row,) = [d for d in unmet["items"] if d["id"] == demand["id"]]
    assert row["unmet"] and row["unmet_reason"] == basis


def test_overdue_and_broken_promises_are_listed(world):
    consumer = world.principal("consumer")
    with session_scope() as session:
        old = demands.create_demand(session, DemandCreate(
            title="需要不动产权属信息", purpose="低保审核", wanted_by=date.today() - timedelta(days=3)),
            consumer, now=utcnow() - timedelta(days=20)).id
        promised = demands.create_demand(session, DemandCreate(
            title="需要死亡火化信息", purpose="停发养老金", wanted_by=date.today() + timedelta(days=10)),
            consumer, now=utcnow() - timedelta(days=20)).id
        demands.answer_demand(session, promised, DemandAnswer(
            answer="will_publish", promised_by=date.today() - timedelta(days=2)), world.principal("approver"),
            now=utcnow() - timedelta(days=15))
    overdue = world.operator.get("/api/v1/demands", params={"view": "overdue"}).json()
    listed = {d["id"]: d for d in overdue["items"]}
    assert old in listed and listed[old]["overdue"] and promised not in listed
    broken = world.operator.get("/api/v1/demands", params={"view": "promise_overdue"}).json()
    listed = {d["id"]: d for d in broken["items"]}
    assert promised in listed and listed[promised]["promise_overdue"] and old not in listed
    past = world.consumer.post("/api/v1/demands", json={"title": "需要户籍信息", "purpose": "测试",
                                                        "wanted_by": str(date.today() - timedelta(days=1))})
    assert past.status_code == 422


def test_routing_and_who_answers(world):
    demand = _demand(world)
    own = world.consumer_admin.post(f"/api/v1/demands/{demand['id']}/answer",
                                    json={"answer": "cannot_share", "note": "x"})
    assert own.status_code == 403
    other = world.platform.org(name="舟山市民政局")
    routed = world.operator.post(f"/api/v1/demands/{demand['id']}/route", json={"org_code": other["code"]})
    assert routed.status_code == 200 and routed.json()["routed_org_id"] == other["id"]
    not_mine = world.approver.post(f"/api/v1/demands/{demand['id']}/answer",
                                   json={"answer": "exists", "entry_id": world.entry["id"]})
    assert not_mine.status_code == 403 and not_mine.json()["error"]["code"] == "not_routed_to_you"
    by_operator = world.operator.post(f"/api/v1/demands/{demand['id']}/answer",
                                      json={"answer": "will_publish", "promised_by": str(demands.today())})
    assert by_operator.status_code == 200 and by_operator.json()["answer"] == "will_publish"


def test_a_demand_names_its_legal_basis_and_the_department_it_goes_to(world):
    demand = _demand(world, legal_basis="《住房公积金管理条例》第二十四条", org_code=world.provider["code"])
    assert demand["legal_basis"] == "《住房公积金管理条例》第二十四条"
    assert demand["routed_org_id"] == world.provider["id"]  # routed at once: no wait for the operator
    to_me = world.approver.get("/api/v1/demands", params={"view": "to_me"}).json()
    assert demand["id"] in [d["id"] for d in to_me["items"]]
    unknown = world.consumer.post("/api/v1/demands", json={
        "title": "需要人员婚姻情况", "purpose": "住房公积金提取审核", "wanted_by": str(date.today() + timedelta(days=30)),
        "org_code": "91330900MA00000000"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "org_code"
