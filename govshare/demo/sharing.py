"""The demo city's sharing activity: demands, access requests, grants and exchange calls.

Built through the same services as the console and the API, after the catalog is mounted, so the
lists a visitor opens are not empty. Each service takes `now=`: demands and requests are placed in
the past (filed weeks ago, decided a few working days later), which gives overdue demands, a broken
promise and requests past their legal deadline (escalated to the operator). Exchange calls go
through `exchange.service` with each department's demo API client against keys of the mounted data;
their audit records are stamped at build time (the service stamps now).

Deterministic for a seed: the same requests, decisions, looked-up rows and call order (ids and
times differ between builds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import pyarrow as pa

from govshare.core.database import get_engine, session_scope, utcnow
from govshare.core.errors import GovShareError
from govshare.core.workdays import CHINA_TZ, calendar
from govshare.demo import datasets
from govshare.exchange import service as exchange
from govshare.orgs.service import Principal
from govshare.sharing import demands as demand_service
from govshare.sharing import service as sharing
from govshare.sharing.schemas import (
    AccessRequestCreate, ApproveBody, DemandAnswer, DemandClose, DemandCreate, RejectBody, RevokeBody,
)

CALLS = 3000  # governed lookups and verifications (independent of the data scale)
MISS_SHARE = 0.15  # lookups of persons the entry has no row for (e.g. pensioners not in the cremation records)
WRONG_SHARE = 0.15  # verifications with a value that does not match

# ---------------------------------------------------------------------------- demands

# created / answered / closed: days before the build; wanted: days after creation (wanted_by).
# outcome: met | unmet (closed unsatisfied) | answered (exists, not yet closed) | promise | open.
DEMANDS: list[dict] = [
    dict(consumer="gjj", title="婚姻登记信息（住房公积金配偶提取核验）",
         description="职工以配偶名义提取住房公积金或申请购房提取时需核验双方婚姻关系，目前要求群众提交结婚证复印件并人工核对，"
                     "希望通过共享核验替代。",
         wanted_items="登记证字号、男女双方公民身份号码和姓名、登记日期", purpose="住房公积金提取业务免提交结婚证",
         created=62, wanted=30, outcome="met", provider="mzj", entry="婚姻登记信息", answered=59, closed=50, rating=5,
         comment="已通过接口核验婚姻关系，提取业务不再收取结婚证复印件"),
    dict(consumer="gjj", title="户籍信息（离职提取户籍核验）",
         description="非本市户籍职工离职并将户口迁出本市后提取住房公积金，需核验户籍迁出情况。",
         wanted_items="公民身份号码、姓名、户号、户籍地址、迁入日期", purpose="住房公积金离职提取户籍核验",
         created=60, wanted=30, outcome="met", provider="gaj", entry="户籍信息", answered=58, closed=52, rating=4,
         comment="满足需要，建议增加迁出日期信息项"),
    dict(consumer="rsj", title="火化信息（养老金停发）",
         description="养老保险待遇领取人员去世后家属未及时申报，造成养老金多发冒领。需要按月比对火化记录，及时停发待遇。",
         wanted_items="公民身份号码、姓名、死亡日期、火化日期", purpose="养老保险待遇领取资格核查，死亡人员及时停发",
         created=58, wanted=20, outcome="met", provider="mzj", entry="火化信息", answered=55, closed=48, rating=5,
         comment="按月比对火化记录，已停发多名死亡人员的养老金"),
    dict(consumer="rsj", title="死亡医学证明信息（待遇领取资格认证）",
         description="医院出具死亡医学证明后需同步终止社会保险待遇领取资格，缩短火化前的时间差。",
         wanted_items="公民身份号码、姓名、死亡日期", purpose="社会保险待遇领取资格认证",
         created=50, wanted=30, outcome="met", provider="wjw", entry="死亡医学证明信息", answered=45, closed=40,
         rating=4, comment="满足需要"),
    dict(consumer="mzj", title="不动产权属信息（低保申请家庭住房核查）",
         description="最低生活保障、特困人员供养申请家庭需核对名下房产，目前由街道逐户向不动产登记中心发函查询，周期长。",
         wanted_items="权利人证件号码、不动产权证书号、坐落、建筑面积、规划用途",
         purpose="社会救助家庭经济状况核对", created=56, wanted=30, outcome="met", provider="bdc",
         entry="不动产权属信息", answered=53, closed=44, rating=5, comment="核对周期由两周缩短到当天"),
    dict(consumer="tyjrj", title="社会保险缴费信息（退役军人安置就业跟踪）",
         description="退役军人安置就业后需跟踪其在岗参保情况，核实用人单位是否按规定缴纳社会保险。",
         wanted_items="公民身份号码、缴费单位、费款所属期、险种", purpose="退役军人就业安置跟踪服务",
         created=48, wanted=30, outcome="met", provider="rsj", entry="社会保险缴费信息", answered=46, closed=38,
         rating=4, comment="满足需要"),
    dict(consumer="ybj", title="户口迁移信息（医保关系转移接续）",
         description="参保人户口迁入迁出后办理医保关系转移接续，需核验户口迁移记录，替代户口簿和迁移证明。",
         wanted_items="公民身份号码、迁移类型、迁出地、迁入地、迁移日期", purpose="医保关系转移接续免提交户口迁移证明",
         created=20, wanted=30, outcome="answered", provider="gaj", entry="户口迁移信息", answered=16),
    dict(consumer="jtj", title="违法犯罪记录（道路运输从业人员资格审查）",
         description="道路旅客运输驾驶员从业资格申请需审查有无暴力犯罪、危险驾驶等记录，希望直接共享违法犯罪记录明细。",
         wanted_items="公民身份号码、姓名、案件类别、判决日期", purpose="道路运输从业人员从业资格审查",
         created=44, wanted=30, outcome="unmet", provider="gaj", answered=40, closed=37, rating=2,
         note="《公安机关办理犯罪记录查询工作规定》第二条：犯罪记录查询由公安机关依申请出具证明，不批量共享记录明细。"
              "可申请使用“无犯罪记录证明开具信息”核验申请人提交的证明。"),
    dict(consumer="zjj", title="个人收入纳税信息（公租房保障资格收入核定）",
         description="公共租赁住房保障申请家庭需核定人均收入，希望共享申请人近一年的个人所得税纳税记录。",
         wanted_items="公民身份号码、所属期、收入额、已缴税额", purpose="公共租赁住房保障资格审核",
         created=42, wanted=30, outcome="unmet", provider="swj", answered=36, closed=33, rating=2,
         note="《中华人民共和国税收征收管理法》第八条：纳税人的个人信息依法保密，个人所得税纳税记录不在共享范围。"
              "申请人可通过个人所得税APP自行下载纳税记录。",
         comment="仍需群众自行提供纳税记录，未能实现减证"),
    dict(consumer="jyj", title="学生健康档案（新生入学健康状况核查）",
         description="中小学新生入学需掌握学生慢性病、过敏史等健康情况，便于学校做好健康管理。",
         wanted_items="公民身份号码、姓名、慢性病情况", purpose="中小学新生入学健康管理",
         created=39, wanted=25, outcome="unmet", provider="wjw", answered=35, closed=34, rating=3,
         note="《中华人民共和国基本医疗卫生与健康法》第九十二条：居民健康信息依法保护，不向非医疗卫生机构共享。"),
    dict(consumer="cl", title="残疾人医疗费用结算（康复救助核对）",
         description="残疾人康复救助需核对康复项目的医保结算金额，避免重复补助。",
         wanted_items="公民身份号码、结算日期、医疗总费用、统筹基金支付、康复项目", purpose="残疾人康复救助资金审核",
         created=36, wanted=30, outcome="unmet", provider="ybj", entry="医疗费用结算信息", answered=31, closed=27,
         rating=2, comment="目录不含康复项目明细和诊断信息，无法区分康复费用，需求未满足"),
    dict(consumer="swj", title="房屋网签备案合同信息（契税征收比对）",
         description="存量房和新建商品房交易契税征收需比对网签合同价格，防止阴阳合同少缴税款。",
         wanted_items="合同备案号、买受人证件号码、房屋坐落、合同总价、签约日期", purpose="契税征收计税依据核定",
         created=12, wanted=60, outcome="promise", provider="zjj", answered=8, promised=45,
         note="房屋网签备案信息已编目，与网签系统对接完成后挂接数据并开放接口"),
    dict(consumer="jyj", title="居住证信息（随迁子女入学报名）",
         description="非本市户籍适龄儿童入学需核验父母居住证，目前由家长到学校提交居住证原件。",
         wanted_items="居住证编号、公民身份号码、姓名、住址、有效期至", purpose="义务教育随迁子女入学报名资格审核",
         created=52, wanted=40, outcome="promise", provider="gaj", answered=47, promised=20,
         note="居住证信息目录已发布，数据正与省级居住证系统对接，承诺按期挂接"),
    dict(consumer="ybj", title="困难群众身份认定信息（医疗救助资助参保）",
         description="特困、低保、低边对象参加城乡居民医保由财政资助，需按月获取身份认定名单和变动情况。",
         wanted_items="公民身份号码、姓名、救助类别、认定日期、退出日期", purpose="医疗救助对象资助参保",
         created=45, wanted=20, outcome="open", route="mzj"),
    dict(consumer="sthjj", title="企业用电量数据（污染源排查）",
         description="通过企业用电量异常识别偷排漏排，需供电公司的分户月度用电数据。",
         wanted_items="统一社会信用代码、用电户号、月份、用电量", purpose="重点排污单位非现场监管",
         created=40, wanted=15, outcome="open"),
    dict(consumer="tyjrj", title="优抚对象死亡信息（抚恤补助停发）",
         description="优抚对象去世后需及时停发定期抚恤补助，请提供死亡登记或火化信息。",
         wanted_items="公民身份号码、姓名、死亡日期", purpose="定期抚恤补助资格核查", created=35, wanted=10,
         outcome="open"),
    dict(consumer="cl", title="用人单位安排残疾人就业人数（残保金审核）",
         description="残疾人就业保障金征收需核验用人单位在职职工人数和安排残疾人就业情况。",
         wanted_items="统一社会信用代码、在职职工人数、残疾职工人数", purpose="残疾人就业保障金征收审核",
         created=6, wanted=30, outcome="open", route="rsj"),
    dict(consumer="czj", title="惠民惠农补贴对象身份核验",
         description="“一卡通”补贴资金发放前需核验补贴对象身份、存活状态和银行卡户名一致。",
         wanted_items="公民身份号码、姓名、存活状态", purpose="惠民惠农财政补贴资金发放", created=3, wanted=20,
         outcome="open"),
    dict(consumer="yjglj", title="独居老人和困难群众住址信息（防台风转移）",
         description="台风来临前需掌握沿海低洼地区独居老人、低保对象、重度残疾人的住址和联系电话，提前落实转移责任人。",
         wanted_items="公民身份号码、姓名、住址、联系电话", purpose="防台风人员转移安置", created=2, wanted=14,
         outcome="open"),
    dict(consumer="gjj", title="不动产抵押登记信息（公积金贷款抵押核验）",
         description="住房公积金贷款发放前需核验抵押登记办结情况，替代不动产登记证明复印件。",
         wanted_items="不动产登记证明号、抵押人、抵押权人、债权数额", purpose="住房公积金个人贷款发放审核",
         created=1, wanted=21, outcome="open"),
]

# ---------------------------------------------------------------------------- access requests

GJJ_PURPOSE = "住房公积金提取和贷款审核"


def _req(consumer: str, entry: str, provider: str, methods: str, purpose: str, legal: str, *, filed: int,
         items: list[str] | None = None, masking: dict | None = None, region_item: str | None = None,
         duration: int = 365, decision: tuple | None = None, calls: int = 0, working_days: bool = False) -> dict:
    """filed: days (or working days) before the build; calls: weight in the exchange traffic."""
    return dict(consumer=consumer, entry=entry, provider=provider, methods=methods.split(","), purpose=purpose,
                legal=legal, filed=filed, items=items, masking=masking or {}, region_item=region_item,
                duration=duration, decision=decision, calls=calls, working_days=working_days)


# decision: ("approve", working days after filing, ApproveBody fields) | ("reject", working days, reason)
#           | ("revoke", days before the build, reason: the consumer gives the grant up)
#           | ("arbitrate", ApproveBody fields: the operator decides after escalation)
# No decision: unconditional entries are granted at once, `none` ones refused, conditional ones wait.
REQUESTS: list[dict] = [
    # unconditional: granted at once
    _req("gjj", "人口基础信息", "gaj", "lookup,verify", "住房公积金开户、提取业务核验缴存职工身份",
         "《住房公积金管理条例》", filed=75, calls=6,
         items=["id_number", "name", "gender", "birth_date", "marital_status", "region_code"]),
    _req("rsj", "人口基础信息", "gaj", "lookup", "社会保险参保登记核验参保人员身份", "《中华人民共和国社会保险法》",
         filed=70, calls=5, items=["id_number", "name", "gender", "birth_date", "address", "region_code"]),
    _req("mzj", "人口基础信息", "gaj", "lookup,verify", "社会救助申请家庭成员身份和婚姻状况核对", "《社会救助暂行办法》",
         filed=63, calls=4, items=["id_number", "name", "birth_date", "household_id", "marital_status"]),
    _req("swj", "法人基础信息", "scjgj", "lookup,export", "纳税人登记信息比对和税源管理",
         "《中华人民共和国税收征收管理法》", filed=55, calls=3),
    _req("rsj", "营业执照信息", "scjgj", "lookup", "用人单位社会保险登记核验营业执照", "《中华人民共和国社会保险法》",
         filed=50, calls=2, items=["licence_no", "uscc", "company_name", "issue_date", "valid_until", "region_code"]),
    _req("jtj", "法人基础信息", "scjgj", "lookup", "道路运输经营许可申请人主体资格核验", "《中华人民共和国道路运输条例》",
         filed=45, calls=2, items=["uscc", "name", "legal_representative_name", "address", "status"]),
    _req("zjj", "人口基础信息", "gaj", "verify", "公共租赁住房申请家庭成员身份核验", "《公共租赁住房管理办法》",
         filed=40, calls=2, items=["id_number", "name", "household_id", "marital_status", "region_code"]),
    _req("ybj", "人口基础信息", "gaj", "lookup", "城乡居民医保参保登记身份核验", "《医疗保障基金使用监督管理条例》",
         filed=38, items=["id_number", "name", "birth_date", "region_code"],
         decision=("revoke", 10, "业务系统已改用户籍信息接口，本授权停止使用")),
    # conditional, approved by the provider (some narrowed, some with tighter masking, one within a region)
    _req("gjj", "婚姻登记信息", "mzj", "lookup,verify", "住房公积金配偶提取、购房提取核验婚姻关系",
         "《住房公积金管理条例》第二十四条", filed=58, calls=6,
         decision=("approve", 4, dict(
             items=["registration_no", "registration_type", "male_id_number", "male_name", "female_id_number",
                    "female_name", "registration_date"],
             masking={"male_name": "drop", "female_name": "drop"},
             note="按最小必要原则不提供登记机关；姓名仅用于核验，查询结果不返回"))),
    _req("gjj", "户籍信息", "gaj", "lookup", "住房公积金离职提取、户籍迁出提取核验户籍状态", "《住房公积金管理条例》",
         filed=57, calls=5, decision=("approve", 3, dict(note="同意，仅限住房公积金提取业务使用"))),
    _req("rsj", "火化信息", "mzj", "lookup,verify,feed", "养老保险待遇领取人员死亡比对，及时停发养老金",
         "《中华人民共和国社会保险法》", filed=54, calls=5, decision=("approve", 5, dict(note="同意"))),
    _req("rsj", "死亡医学证明信息", "wjw", "lookup,verify", "社会保险待遇领取资格认证", "《中华人民共和国社会保险法》",
         filed=47, calls=4, decision=("approve", 6, dict(
             items=["id_number", "name", "gender", "date_of_death", "place_of_death", "region_code"],
             masking={"place_of_death": "mask"}, note="根本死因和出具机构属健康信息，不予提供"))),
    _req("mzj", "不动产权属信息", "bdc", "lookup,verify", "最低生活保障、特困人员供养申请家庭住房状况核对",
         "《社会救助暂行办法》", filed=52, calls=4, region_item="region_code",
         items=["certificate_no", "owner_id_number", "owner_name", "location", "region_code", "area_sqm", "usage"],
         decision=("approve", 5, dict(region_code="330902", note="先在定海区试点，运行良好后扩大到全市"))),
    _req("zjj", "不动产权属信息", "bdc", "lookup", "公共租赁住房保障资格审核核查申请家庭住房", "《公共租赁住房管理办法》",
         filed=43, calls=3, decision=("approve", 4, dict(rate_limit_per_minute=600, note="同意，限每分钟600次"))),
    _req("tyjrj", "社会保险缴费信息", "rsj", "lookup", "退役军人安置就业后参保缴费情况跟踪",
         "《中华人民共和国退役军人保障法》", filed=35, calls=2,
         items=["payment_id", "id_number", "name", "employer_uscc", "period", "insurance_type"],
         decision=("approve", 4, dict(note="同意"))),
    _req("jtj", "无犯罪记录证明开具信息", "gaj", "lookup,verify", "道路运输从业人员从业资格审查核验无犯罪记录证明",
         "《中华人民共和国道路运输条例》", filed=33, calls=2,
         decision=("approve", 5, dict(methods=["verify"], note="仅提供核验，不提供明细查询"))),
    _req("ybj", "户口迁移信息", "gaj", "lookup", "医保关系转移接续核验户口迁移", "《中华人民共和国社会保险法》",
         filed=15, calls=2, decision=("approve", 3, dict(note="同意"))),
    _req("gjj", "养老保险待遇领取信息", "rsj", "lookup,verify", "退休提取住房公积金核验退休状态", "《住房公积金管理条例》",
         filed=30, calls=3, decision=("approve", 2, dict(masking={"monthly_pension": "drop"}, note="养老金金额不提供"))),
    _req("czj", "最低生活保障对象信息", "mzj", "lookup", "惠民惠农补贴发放核对低保对象身份", "《社会救助暂行办法》",
         filed=28, calls=2, decision=("approve", 4, dict(masking={"bank_card_no": "drop"},
                                                          note="银行卡号不予提供，发放时由代发银行核对"))),
    _req("rsj", "不动产权属信息", "bdc", "lookup", "高层次人才购房补贴资格专项核查", "《浙江省公共数据条例》",
         filed=95, duration=30, decision=("approve", 3, dict(note="同意，专项核查期限30天"))),
    # rejected with reasons
    _req("swj", "婚姻登记信息", "mzj", "lookup", "个人所得税专项附加扣除核验配偶信息", "《中华人民共和国个人所得税法》",
         filed=30, decision=("reject", 6, "申请用途不在本目录共享条件范围内（仅限住房公积金、住房保障、社会救助、户籍等业务），"
                                         "请补充法定依据后重新申请")),
    _req("jyj", "不动产权属信息", "bdc", "lookup", "义务教育入学报名核验房屋产权", "《中华人民共和国义务教育法》",
         filed=26, decision=("reject", 5, "入学报名只需核验房屋权属，申请全部信息项超出最小必要范围；"
                                         "请改为核验方式（verify）并减少信息项后重新申请")),
    _req("scjgj", "机动车驾驶证记分信息", "gaj", "lookup", "网约车平台经营者信用监管", "《浙江省公共数据条例》",
         filed=24, decision=("reject", 4, "申请用途与本目录共享条件（道路运输从业资格管理、交通运输执法和信用监管）不符")),
    # pending, within the deadline
    _req("ybj", "死亡医学证明信息", "wjw", "lookup", "医保待遇停发及个人账户清退", "《医疗保障基金使用监督管理条例》",
         filed=2),
    _req("cl", "户籍信息", "gaj", "lookup", "残疾人证办理核验户籍", "《中华人民共和国残疾人保障法》", filed=3),
    _req("jyj", "户籍信息", "gaj", "lookup", "义务教育入学报名核验适龄儿童户籍", "《中华人民共和国义务教育法》", filed=1),
    _req("gjj", "社会保险缴费信息", "rsj", "lookup", "住房公积金贷款申请人缴存与社保缴费比对", "《住房公积金管理条例》",
         filed=4),
    # pending past the deadline: escalated to the operator (one of them decided by the operator)
    _req("yjglj", "户籍信息", "gaj", "lookup", "防台风人员转移安置核对户籍人口", "《中华人民共和国突发事件应对法》",
         filed=20, working_days=True),
    _req("tyjrj", "死亡医学证明信息", "wjw", "lookup", "优抚对象死亡后及时停发定期抚恤补助", "《军人抚恤优待条例》",
         filed=25, working_days=True, calls=1,
         decision=("arbitrate", dict(items=["id_number", "name", "date_of_death", "region_code"],
                                     note="提供方逾期未答复，经平台协调按最小必要范围批准"))),
    _req("czj", "残疾人基本信息", "cl", "lookup", "困难残疾人生活补贴和重度残疾人护理补贴资金发放核对",
         "《中华人民共和国残疾人保障法》", filed=14, working_days=True),
    # share type none: refused with the entry's legal basis
    _req("jtj", "违法犯罪记录信息", "gaj", "lookup", "道路运输从业人员背景审查", "《中华人民共和国道路运输条例》", filed=22),
]

# Calls that are denied, so the audit has both outcomes: (client's department, entry, provider, kind, times).
DENIED_CALLS: list[tuple[str, str, str, str, int]] = [
    ("jyj", "不动产权属信息", "bdc", "lookup", 3),  # rejected: no grant
    ("sthjj", "火化信息", "mzj", "lookup", 2),  # never asked
    ("cl", "户籍信息", "gaj", "lookup", 3),  # pending
    ("yjglj", "户籍信息", "gaj", "lookup", 2),  # escalated, still pending
    ("ybj", "人口基础信息", "gaj", "lookup", 3),  # revoked
    ("rsj", "不动产权属信息", "bdc", "lookup", 2),  # expired
    ("jtj", "无犯罪记录证明开具信息", "gaj", "lookup", 2),  # only verify granted
    ("gjj", "婚姻登记信息", "mzj", "fields", 2),  # asks for an item not granted
    ("jtj", "违法犯罪记录信息", "gaj", "lookup", 1),  # refused (share type none)
]
EXPORT = ("swj", "法人基础信息", "scjgj")
FEED = ("rsj", "火化信息", "mzj")


def steps() -> int:
    """Progress units of `build_sharing`."""
    return len(DEMANDS) + len(REQUESTS) + CALLS + CITIZEN_LOOKUPS + 2


@dataclass(frozen=True)
class Actors:
    users: dict[str, Principal]  # username -> principal
    clients: dict[str, Principal]  # department short name -> its demo API client


# ---------------------------------------------------------------------------- time

def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA_TZ).astimezone(timezone.utc)


def _days_ago(now: datetime, days: int, hour: int = 10, minute: int = 0) -> datetime:
    return _at(now.astimezone(CHINA_TZ).date() - timedelta(days=days), hour, minute)


def _working_days_ago(now: datetime, days: int, hour: int = 10) -> datetime:
    cal, day = calendar(), now.astimezone(CHINA_TZ).date()
    while days:
        day -= timedelta(days=1)
        days -= cal.is_working_day(day)
    return _at(day, hour)


def _working_days_after(at: datetime, days: int, hour: int = 15) -> datetime:
    return _at(calendar().add_working_days(at.astimezone(CHINA_TZ).date(), days), hour)


# ---------------------------------------------------------------------------- build

def build_sharing(actors: Actors, entry_ids: dict[tuple[str, str], str], tables: dict[tuple[str, str], pa.Table],
                  seed: int, advance: Callable[[], None]) -> dict:
    """Demands, requests and grants, then the exchange traffic; returns counts."""
    now = utcnow()
    _demands(actors, entry_ids, now, advance)
    grants = _requests(actors, entry_ids, now, advance)
    calls, denied = _traffic(actors, entry_ids, tables, grants, seed, advance)
    return {"demands": len(DEMANDS), "requests": len(REQUESTS), "grants": len(grants), "calls": calls,
            "denied": denied}


def _demands(actors: Actors, entry_ids: dict, now: datetime, advance) -> None:
    users = actors.users
    with session_scope() as session:
        for i, spec in enumerate(DEMANDS):
            created = _days_ago(now, spec["created"], 9 + i % 7, (i * 13) % 60)
            consumer = users[f"{spec['consumer']}_user"]
            wanted_by = demand_service.today(created) + timedelta(days=spec["wanted"])
            demand = demand_service.create_demand(session, DemandCreate(
                title=spec["title"], description=spec["description"], wanted_items=spec["wanted_items"],
                purpose=spec["purpose"], wanted_by=wanted_by), consumer, now=created)
            if spec.get("route"):
                demand_service.route_demand(session, demand.id, spec["route"], users["platform_admin"])
            if spec["outcome"] != "open":
                answered = _days_ago(now, spec["answered"], 14 + i % 3)
                if spec["outcome"] == "promise":
                    answer = DemandAnswer(answer="will_publish", note=spec["note"],
                                          promised_by=demand_service.today(answered) + timedelta(days=spec["promised"]))
                elif spec.get("entry"):
                    answer = DemandAnswer(answer="exists", entry_id=entry_ids[spec["entry"], spec["provider"]],
                                          note=spec.get("note"))
                else:
                    answer = DemandAnswer(answer="cannot_share", note=spec["note"])
                demand_service.answer_demand(session, demand.id, answer, users[f"{spec['provider']}_admin"],
                                             now=answered)
            if spec["outcome"] in ("met", "unmet"):
                demand_service.close_demand(session, demand.id, DemandClose(
                    satisfied=spec["outcome"] == "met", rating=spec["rating"], comment=spec.get("comment", "")),
                    consumer, now=_days_ago(now, spec["closed"], 11))
            advance()


def _requests(actors: Actors, entry_ids: dict, now: datetime, advance) -> list[dict]:
    """File, decide, escalate, arbitrate; returns the active grants that get exchange traffic."""
    users, clients = actors.users, actors.clients
    filed_requests: list[tuple[dict, object]] = []
    with session_scope() as session:
        arbitrate = []
        for i, spec in enumerate(REQUESTS):
            filed = (_working_days_ago(now, spec["filed"], 9 + i % 8) if spec["working_days"]
                     else _days_ago(now, spec["filed"], 9 + i % 8, (i * 17) % 60))
            entry_id = entry_ids[spec["entry"], spec["provider"]]
            req = sharing.file_request(session, AccessRequestCreate(
                entry_id=entry_id, items=spec["items"] or _item_names(spec["entry"], spec["provider"]),
                methods=spec["methods"], purpose=spec["purpose"], legal_basis=spec["legal"],
                client_ids=[clients[spec["consumer"]].id], masking=spec["masking"], region_item=spec["region_item"],
                duration_days=spec["duration"]), users[f"{spec['consumer']}_user"], now=filed)
            kind = spec["decision"][0] if spec["decision"] else None
            approver = users[f"{spec['provider']}_approver"]
            if kind == "approve":
                sharing.approve(session, req.id, ApproveBody(**spec["decision"][2]), approver,
                                now=_working_days_after(filed, spec["decision"][1]))
            elif kind == "reject":
                sharing.reject(session, req.id, RejectBody(reason=spec["decision"][2]), approver,
                               now=_working_days_after(filed, spec["decision"][1]))
            elif kind == "revoke":
                sharing.revoke_grant(session, req.grant_id, RevokeBody(reason=spec["decision"][2]),
                                     users[f"{spec['consumer']}_admin"], now=_days_ago(now, spec["decision"][1], 16))
            elif kind == "arbitrate":
                arbitrate.append((spec, req))
            filed_requests.append((spec, req))
            advance()
        sharing.escalate_overdue(session, now)
        for spec, req in arbitrate:
            sharing.approve(session, req.id, ApproveBody(**spec["decision"][1]), users["platform_admin"], now=now)
        grants = []
        for spec, req in filed_requests:
            grant = sharing.get_grant(session, req.grant_id, users["platform_admin"]) if req.grant_id else None
            if grant is not None and sharing.grant_status(grant, now) == "active" and spec["calls"]:
                grants.append({"consumer": spec["consumer"], "entry": (spec["entry"], spec["provider"]),
                               "entry_id": grant.entry_id, "items": list(grant.items),
                               "methods": list(grant.methods), "calls": spec["calls"]})
    return grants


def _item_names(entry: str, provider: str) -> list[str]:
    return [i["name"] for i in _entry_spec(entry, provider)["items"]]


def _entry_spec(entry: str, provider: str) -> dict:
    return next(e for e in datasets.CATALOG if e["name"] == entry and e["provider"] == provider)


# ---------------------------------------------------------------------------- exchange traffic

def _traffic(actors: Actors, entry_ids: dict, tables: dict, grants: list[dict], seed: int,
             advance) -> tuple[int, int]:
    rng = np.random.default_rng([seed, 5])
    people = tables["人口基础信息", "gaj"].column("id_number")
    denied = [(actors.clients[c], entry_ids[e, p], kind, _entry_spec(e, p)) for c, e, p, kind, n in DENIED_CALLS
              for _ in range(n)]
    weights = np.array([g["calls"] for g in grants], dtype=float)
    counts = rng.multinomial(CALLS - len(denied), weights / weights.sum())
    plan: list[tuple[Principal, str, str, dict, bool]] = []
    for grant, count in zip(grants, counts):
        plan += [(actors.clients[grant["consumer"]], grant["entry_id"], method, payload, False)
                 for method, payload in _grant_calls(grant, tables[grant["entry"]], people, int(count), rng)]
    # The demo citizen (`citizen_id`) is looked up by a few departments: their record page shows it.
    citizen = citizen_id(tables)
    for grant in [g for g in grants if "lookup" in g["methods"] and _id_number_key(g["entry"])][:CITIZEN_LOOKUPS]:
        plan.append((actors.clients[grant["consumer"]], grant["entry_id"], "lookup",
                     {_id_number_key(grant["entry"]): citizen}, False))
    for principal, entry_id, kind, spec in denied:
        key = next(i for i in spec["items"] if i.get("is_key"))["name"]
        query = {key: "330902199001011234"}
        if kind == "fields":
            query["fields"] = "registry_office"
        plan.append((principal, entry_id, "lookup", query, True))
    order = rng.permutation(len(plan))
    outcomes = []
    with get_engine().connect() as conn:
        conn = conn.execution_options(read_only=True)
        for i in order:
            principal, entry_id, method, payload, expect_denied = plan[i]
            call = exchange.lookup if method == "lookup" else exchange.verify
            outcomes.append((call(conn, principal, entry_id, payload), expect_denied))
            advance()
        client, entry, provider = FEED
        feed = exchange.changes(conn, actors.clients[client], entry_ids[entry, provider], None, 100)
    denials = 0
    for outcome, expect_denied in [*outcomes, (feed, False)]:
        try:
            outcome.wait()
        except GovShareError:
            if not expect_denied:
                raise
            denials += 1
    advance()
    client, entry, provider = EXPORT
    started = exchange.export(get_engine(), actors.clients[client], entry_ids[entry, provider], "csv")
    for _ in started.chunks:
        pass
    advance()
    return len(plan) + 2, denials


CITIZEN_LOOKUPS = 3


def citizen_id(tables: dict[tuple[str, str], pa.Table]) -> str:
    """The demo citizen: the first person of the population register."""
    return str(tables["人口基础信息", "gaj"].column("id_number")[0])


def _id_number_key(entry: tuple[str, str]) -> str | None:
    key = next(i for i in _entry_spec(*entry)["items"] if i.get("is_key"))
    return key["name"] if key.get("pi_kind") == "id_number" else None


def _grant_calls(grant: dict, table: pa.Table, people: pa.ChunkedArray, count: int,
                 rng: np.random.Generator) -> list[tuple[str, dict]]:
    """`count` lookups/verifications of rows of the entry: mostly present rows, some misses and mismatches."""
    if count == 0 or table.num_rows == 0:
        return []
    spec = _entry_spec(*grant["entry"])
    key = next(i for i in spec["items"] if i.get("is_key"))
    check = next((i["name"] for i in spec["items"] if not i.get("is_key") and i["name"] in grant["items"]
                  and i.get("pi_kind") in ("id_number", "name")), None)
    methods = [m for m in ("lookup", "verify") if m in grant["methods"] and (m == "lookup" or check)]
    rows = table.take(pa.array(rng.integers(0, table.num_rows, size=count)))
    keys = rows.column(key["name"]).to_pylist()
    checks = rows.column(check).to_pylist() if check else [None] * count
    others = table.column(check).take(pa.array(rng.integers(0, table.num_rows, size=count))).to_pylist() \
        if check else [None] * count
    misses = people.take(pa.array(rng.integers(0, len(people), size=count))).to_pylist()
    draws = rng.random((count, 2))
    method_of = rng.integers(0, len(methods), size=count)
    out = []
    for i in range(count):
        method = methods[method_of[i]]
        if method == "lookup":
            value = misses[i] if key.get("pi_kind") == "id_number" and draws[i, 0] < MISS_SHARE else keys[i]
            out.append(("lookup", {key["name"]: str(value)}))
        else:
            value = others[i] if draws[i, 1] < WRONG_SHARE else checks[i]
            out.append(("verify", {key["name"]: str(keys[i]), check: str(value)}))
    return out
