"""The demo city's data: 舟山市 (330900), its departments, catalog, users and record sets.

Everything here is plain data and pure functions; the demo builder creates the rows in the
database. Generation is deterministic (fixed seed) and vectorised with numpy: the whole city at
scale 1.0 (~100k persons, ~10k companies, ~200k social-security rows and the other record sets)
builds in a few seconds.

One synthetic city underlies all record sets (`_city(seed, scale)`, cached), so they agree with
each other: legal representatives, employees, owners, drivers and the dead are persons of the
population; marriages follow marital status; employers are existing companies. A few deliberate
inconsistencies give the quality and cross-source checks something to find:

- deceased persons stay in the population and household register (not yet cancelled);
- a few cremation records have no death registration (`CREMATION_WITHOUT_DEATH`);
- some persons own several flats and appear in the welfare tables (最低生活保障 etc.), and a few
  welfare recipients are deceased (see `small_table`).
"""

from __future__ import annotations

import datetime as _dt
import re
import zlib
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from govshare.catalog.vocab import DataType
from govshare.core.checkdigits import id_number_check_char, uscc_check_char

# ---------------------------------------------------------------------------- constants

CITY_CODE = "330900"
CITY_NAME = "舟山市"
PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"
COUNTIES: list[tuple[str, str]] = [
    ("330902", "定海区"),
    ("330903", "普陀区"),
    ("330921", "岱山县"),
    ("330922", "嵊泗县"),
]
COUNTY_CODES = [c for c, _ in COUNTIES]
COUNTY_NAMES = dict(COUNTIES)
_COUNTY_P = np.array([0.44, 0.33, 0.17, 0.06])

DEFAULT_SEED = 20260101
# "Today" of the synthetic city: every generated date is on or before it.
REFERENCE_DATE = _dt.date(2026, 9, 30)

# Row counts at scale 1.0 (multiplied by `scale`).
POPULATION_ROWS = 100_000
LEGAL_PERSON_ROWS = 10_000
SOCIAL_SECURITY_ROWS = 200_000  # trimmed to exactly this; 6 monthly periods x 5 insurance types
SOCIAL_SECURITY_MONTHS = 6
DEATH_RATE = 0.024  # share of the population with a death registration (3 years)
CREMATION_WITHOUT_DEATH = 12  # deliberate anomalies for the cross-source check (at scale 1.0)

DEMO_PASSWORD = "GovShare#2026"

_EPOCH = _dt.date(1970, 1, 1)
REF_DAY = (REFERENCE_DATE - _EPOCH).days
_YEAR = 365.2425

# Arrow type of each catalog data type (vocab.DataType).
ARROW_TYPES: dict[str, pa.DataType] = {
    DataType.C: pa.string(),
    DataType.M: pa.string(),
    DataType.N: pa.float64(),
    DataType.Y: pa.float64(),
    DataType.B: pa.float64(),
    DataType.F: pa.float64(),
    DataType.I: pa.int64(),
    DataType.D: pa.date32(),
    DataType.T: pa.timestamp("s"),
    DataType.L: pa.bool_(),
}


def arrow_schema(items: list[dict]) -> pa.Schema:
    """The arrow schema of a table holding these items (column name = item name)."""
    return pa.schema([pa.field(it["name"], ARROW_TYPES[it["data_type"]], nullable=not it["required"]) for it in items])


# ---------------------------------------------------------------------------- identifiers

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters of the 9-character organisation code part of new credit codes (no I O S V Z).
_ORG_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_code(body8: str) -> str:
    """An organisation code (GB 11714): 8 characters + MOD 11 check character (0-9 or X)."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body8, _ORG_CODE_WEIGHTS))
    c = 11 - total % 11
    return body8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def make_uscc(kind: str, region: str, org_body8: str) -> str:
    """A valid 统一社会信用代码: 2-char registration kind + region + org code (with check) + check."""
    first17 = kind + region + _org_code(org_body8)
    return first17 + uscc_check_char(first17)


def _id_numbers(region: np.ndarray, birth_day: np.ndarray, seq3: np.ndarray) -> list[str]:
    """ID numbers from region code ints, birth days since epoch and 3-digit sequence numbers."""
    y, m, d = _ymd(birth_day)
    first = region.astype(np.int64) * 10**11 + y * 10**7 + m * 10**5 + d * 10**3 + seq3
    out = []
    for v in first.tolist():
        s = f"{v:017d}"
        out.append(s + id_number_check_char(s))
    return out


# ---------------------------------------------------------------------------- date helpers


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    dd = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def _add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Same calendar day `years` later (29 Feb -> 28 Feb)."""
    y, m, d = _ymd(days)
    d = np.where((m == 2) & (d == 29), 28, d)
    months = (y + years - 1970) * 12 + (m - 1)
    return (months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + d - 1).astype(np.int64)


def _day(d: _dt.date) -> int:
    return (d - _EPOCH).days


def _date_col(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=mask)


def _rank_within(*keys: np.ndarray) -> np.ndarray:
    """0-based rank of each row within its group, groups given by the first key(s) except the
    last, ordered by the last key (lexicographic; ties keep row order)."""
    order = np.lexsort(keys[::-1])
    group_keys = keys[:-1]
    n = len(order)
    new_group = np.ones(n, dtype=bool)
    if n:
        new_group[1:] = False
        for k in group_keys:
            ks = k[order]
            new_group[1:] |= ks[1:] != ks[:-1]
    starts = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts
    return rank


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices, drawn with probability proportional to weights (Efraimidis-Spirakis)."""
    keys = rng.exponential(size=len(weights)) / np.maximum(weights, 1e-300)
    k = min(k, len(weights))
    return np.sort(np.argpartition(keys, k - 1)[:k]) if k else np.zeros(0, dtype=np.int64)


def _choice_p(rng: np.random.Generator, values: list, p: list[float], n: int) -> np.ndarray:
    p_arr = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p_arr / p_arr.sum())]


# ---------------------------------------------------------------------------- name pools

# Surnames with approximate frequencies (national ranking, adjusted for 舟山: 翁, 虞, 邬, 乐, 俞, 傅 ...).
_SURNAME_FREQ = (
    "王7.6 陈6.8 张5.2 李5.0 林3.0 刘3.2 徐3.0 周2.5 吴2.2 胡2.1 杨2.0 郑1.6 孙1.3 朱1.3 金1.3 翁1.2 黄1.5 "
    "赵1.2 何1.0 沈1.0 俞0.9 傅0.8 邬0.7 虞0.7 乐0.7 应0.6 毛0.6 贺0.6 叶0.8 马0.8 高0.7 郭0.7 罗0.6 梁0.5 "
    "谢0.5 宋0.5 唐0.5 许0.6 韩0.4 邓0.4 冯0.4 曹0.4 彭0.4 曾0.3 肖0.3 田0.3 董0.4 潘0.5 袁0.4 蔡0.4 蒋0.5 "
    "余0.5 于0.3 杜0.3 程0.3 魏0.3 苏0.3 吕0.3 丁0.5 任0.3 卢0.3 姚0.4 钟0.4 姜0.3 崔0.2 谭0.2 陆0.4 范0.3 "
    "汪0.3 廖0.2 石0.3 韦0.1 贾0.2 夏0.3 方0.4 邹0.2 熊0.2 白0.2 孟0.2 秦0.2 邱0.2 侯0.2 江0.3 尹0.2 薛0.2 "
    "段0.1 雷0.1 龙0.1 史0.1 陶0.2 郝0.1 顾0.3 龚0.2 邵0.3 万0.1 武0.1 钱0.3 戴0.3 严0.2 孔0.3 常0.1 汤0.2 "
    "竺0.1 岑0.1 鲍0.3 施0.3 储0.1 庄0.2 童0.2 屠0.1 欧阳0.03 诸葛0.01 司马0.01"
)
SURNAMES: list[str] = []
_SURNAME_W: list[float] = []
for _tok in _SURNAME_FREQ.split():
    _m = re.match(r"(\D+)([\d.]+)", _tok)
    assert _m
    SURNAMES.append(_m.group(1))
    _SURNAME_W.append(float(_m.group(2)))
_SURNAME_P = np.array(_SURNAME_W) / sum(_SURNAME_W)

_MALE_CHARS = list("伟强军磊勇杰涛明斌超波辉刚健平峰鹏浩宇俊帆航凯晨轩睿博文海洋建国华民志成龙飞东亮新林锋荣彬祥江兵舟港斐力毅宁昊然诚琛")
_FEMALE_CHARS = list("芳娜敏静丽艳娟霞燕玲婷雪慧颖琳洁梅萍红英秀兰凤丹莉倩佳怡欣悦涵萱琪晶露蓉琴晓璐瑶雯嘉诗雨思梦月彤妍可馨蕾")
_MALE_OLD = "建国 建华 国庆 国强 志强 建军 卫东 海军 德明 永康 国华 建平 金龙 阿根 定海 海根 友良 信忠 阿福 根发".split()
_FEMALE_OLD = "秀英 桂英 秀兰 玉兰 桂兰 凤英 秀珍 玉珍 美华 月娥 素芬 雪琴 彩娣 杏娣 阿娣 亚萍 菊芬 爱华 美娟 海燕".split()
_MALE_NEW = "子轩 浩然 宇轩 梓豪 一诺 俊熙 沐阳 皓轩 奕辰 思远 睿泽 铭宇 宇航 嘉懿 锦程".split()
_FEMALE_NEW = "梓涵 欣怡 子涵 雨桐 可馨 诗涵 若汐 语桐 梓萱 一诺 思彤 佳怡 沐晨 欣妍 芷若".split()

# Address stems per county: roads (get house numbers and flats) and villages (house numbers only).
_ADDRESS_STEMS: dict[str, list[str]] = {
    "330902": (
        "解放东路 解放西路 人民北路 人民南路 环城南路 环城东路 环城北路 环城西路 昌国路 东海中路 东海西路 文化路 北门路 "
        "城东路 檀枫路 定沈路 千岛路 海天大道 翁山路 体育路 新城大道 合兴路 临城路 长峙路 昌洲大道 金塘镇沥港路 "
        "金塘镇大鹏路 白泉镇白泉路 干览镇干览路 岑港街道岑港路 马岙街道马岙村 双桥街道紫微村 小沙街道庙桥村 盐仓街道新螺头村"
    ).split(),
    "330903": (
        "海印路 兴港路 东河路 西河路 滨港路 鲁家峙路 新街 芦花路 东港大道 海洲路 浦西路 中河路 兴建路 勾山路 "
        "朱家尖街道朱家尖大道 六横镇峧头路 六横镇台门村 桃花镇桃花路 虾峙镇虾峙村 展茅街道展茅路 东极镇庙子湖村"
    ).split(),
    "330921": (
        "高亭镇长河路 高亭镇沿港路 高亭镇闸口路 高亭镇蓬莱路 高亭镇育才路 高亭镇竹屿路 东沙镇东沙路 岱西镇双峰村 "
        "岱东镇鹿栏路 衢山镇衢山路 衢山镇岛斗村 秀山乡兰秀路"
    ).split(),
    "330922": "菜园镇沙河路 菜园镇海滨路 菜园镇菜园路 菜园镇基湖路 菜园镇金鸡山路 嵊山镇箱子岙村 洋山镇洋山路 五龙乡会城村 黄龙乡峙岙村 枸杞乡奇观村 花鸟乡灯塔村".split(),
}
_TRADE_CHARS = list("海舟港鑫华兴东明瑞达泰丰盛宏远航洋金恒通德信安嘉利和祥顺源富荣新锦天宇晟博润泽鸿凯诚昌隆宁普岱嵊蓝湾礁屿")
# Industry word, business scope.
_INDUSTRIES: list[tuple[str, str, float]] = [
    ("水产品加工", "水产品加工、冷冻、销售；食品经营", 1.2),
    ("远洋渔业", "远洋捕捞；水产品收购、销售；渔需物资销售", 0.8),
    ("船舶修造", "船舶修理、建造；船用配件制造、销售；金属结构制造", 0.8),
    ("海洋科技", "海洋生物技术研发、技术转让、技术咨询；海洋工程设备销售", 0.9),
    ("港口物流", "普通货物仓储；装卸搬运；国内货物运输代理；供应链管理服务", 1.0),
    ("石油化工贸易", "石油制品、化工产品（不含危险化学品）销售；进出口贸易", 0.6),
    ("旅游开发", "旅游项目开发；旅游信息咨询；会议及展览服务", 0.6),
    ("餐饮管理", "餐饮服务；餐饮管理；食品销售", 1.3),
    ("建筑工程", "房屋建筑工程、市政工程施工；建筑材料销售", 1.0),
    ("电子商务", "互联网销售；日用百货、服装、水产品销售", 1.1),
    ("渔具", "渔具、渔网制造与销售；五金产品销售", 0.4),
    ("海运", "国内沿海普通货船运输；船舶管理；船舶租赁", 0.6),
    ("水产养殖", "水产养殖；水产苗种生产；水产品销售", 0.5),
    ("食品", "食品生产、销售；农副产品销售", 0.8),
    ("家政服务", "家政服务；保洁服务；养老服务", 0.5),
    ("房地产开发", "房地产开发经营；物业管理；房屋租赁", 0.4),
    ("商贸", "日用百货、五金交电、建材销售；货物进出口", 1.6),
    ("医药", "药品零售；医疗器械经营；保健食品销售", 0.4),
    ("汽车租赁", "小微型客车租赁经营服务；二手车经纪", 0.3),
    ("酒店管理", "住宿服务；酒店管理；餐饮服务", 0.5),
    ("信息技术", "软件开发；信息系统集成服务；数据处理和存储支持服务", 0.7),
    ("船舶燃料供应", "船舶燃料油供应（凭许可证经营）；石油制品销售", 0.2),
    ("海岛民宿", "住宿服务；民宿服务；农家乐经营", 0.5),
    ("机械设备", "通用设备制造；机械设备销售、租赁、维修", 0.6),
]
_COMPANY_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
_COMPANY_FORM_P = [0.86, 0.10, 0.04]

_HOSPITALS = {
    "330902": ["舟山医院", "舟山市中医院", "舟山市妇女儿童医院", "舟山市第二人民医院"],
    "330903": ["舟山市普陀医院", "舟山市普陀区人民医院"],
    "330921": ["岱山县第一人民医院", "岱山县第二人民医院"],
    "330922": ["嵊泗县人民医院"],
}
_HEALTH_CENTRES = {
    "330902": ["定海区解放街道社区卫生服务中心", "定海区盐仓街道社区卫生服务中心", "定海区金塘镇卫生院"],
    "330903": ["普陀区沈家门街道社区卫生服务中心", "普陀区六横镇卫生院"],
    "330921": ["岱山县高亭镇社区卫生服务中心", "岱山县衢山镇卫生院"],
    "330922": ["嵊泗县菜园镇社区卫生服务中心", "嵊泗县嵊山镇卫生院"],
}
_FUNERAL_HOMES = {"330902": "舟山市殡仪馆", "330903": "舟山市普陀区殡仪馆", "330921": "岱山县殡仪馆", "330922": "嵊泗县殡仪馆"}
_MARRIAGE_OFFICES = {
    "330902": "舟山市定海区婚姻登记处",
    "330903": "舟山市普陀区婚姻登记处",
    "330921": "岱山县婚姻登记处",
    "330922": "嵊泗县婚姻登记处",
}
_ESTATE_ISSUERS = {"330902": "舟山市", "330903": "舟山市普陀区", "330921": "岱山县", "330922": "嵊泗县"}
_MOBILE_PREFIXES = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    166, 173, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199,
]
_ETHNICITIES = ["汉族", "回族", "土家族", "苗族", "畲族", "满族", "壮族", "布依族", "彝族", "蒙古族", "侗族", "朝鲜族"]
_ETHNICITY_P = [0.989, 0.002, 0.0015, 0.0015, 0.0015, 0.001, 0.001, 0.0008, 0.0005, 0.0005, 0.0005, 0.0003]
_EDUCATIONS = ["未上过学", "小学", "初中", "高中", "中等职业教育", "大学专科", "大学本科", "研究生"]
# Adult education distribution by birth cohort (<1950, 1950-64, 1965-79, 1980-94, >=1995).
_EDU_P = np.array([
    [0.25, 0.45, 0.20, 0.06, 0.02, 0.015, 0.005, 0.0],
    [0.08, 0.35, 0.35, 0.12, 0.05, 0.04, 0.01, 0.0],
    [0.01, 0.14, 0.42, 0.17, 0.08, 0.10, 0.07, 0.01],
    [0.0, 0.04, 0.25, 0.15, 0.10, 0.20, 0.23, 0.03],
    [0.0, 0.01, 0.09, 0.12, 0.10, 0.30, 0.33, 0.05],
])
_EDU_CUM = np.cumsum(_EDU_P / _EDU_P.sum(axis=1, keepdims=True), axis=1)

# ---------------------------------------------------------------------------- departments

# (short, name, registration kind: 11 机关 / 12 事业单位 / 13 群团组织)
_DEPARTMENT_ROWS = [
    ("dsj", "舟山市大数据发展管理局", "11"),
    ("gaj", "舟山市公安局", "11"),
    ("mzj", "舟山市民政局", "11"),
    ("rsj", "舟山市人力资源和社会保障局", "11"),
    ("zjj", "舟山市住房和城乡建设局", "11"),
    ("bdc", "舟山市不动产登记中心", "12"),
    ("scjgj", "舟山市市场监督管理局", "11"),
    ("wjw", "舟山市卫生健康委员会", "11"),
    ("jyj", "舟山市教育局", "11"),
    ("jtj", "舟山市交通运输局", "11"),
    ("gjj", "舟山市住房公积金管理中心", "12"),
    ("swj", "国家税务总局舟山市税务局", "11"),
    ("zrzyj", "舟山市自然资源和规划局", "11"),
    ("ybj", "舟山市医疗保障局", "11"),
    ("cl", "舟山市残疾人联合会", "13"),
    ("sfj", "舟山市司法局", "11"),
    ("czj", "舟山市财政局", "11"),
    ("sthjj", "舟山市生态环境局", "11"),
    ("yjglj", "舟山市应急管理局", "11"),
    ("tyjrj", "舟山市退役军人事务局", "11"),
]
OPERATOR_SHORT = "dsj"  # 大数据发展管理局 runs the platform


def _departments() -> list[dict]:
    out = []
    for i, (short, name, kind) in enumerate(_DEPARTMENT_ROWS):
        body8 = "0029" + f"{(i * 1373 + 1207) % 10000:04d}"
        out.append({
            "short": short,
            "name": name,
            "code": make_uscc(kind, CITY_CODE, body8),
            "region_code": CITY_CODE,
            "level": "city",
        })
    return out


DEPARTMENTS: list[dict] = _departments()
DEPARTMENT_NAMES = {d["short"]: d["name"] for d in DEPARTMENTS}


# ---------------------------------------------------------------------------- users

_DEPT_SHORT_LABEL = {
    "dsj": "大数据局", "gaj": "公安局", "mzj": "民政局", "rsj": "人社局", "zjj": "住建局", "bdc": "不动产登记中心",
    "scjgj": "市场监管局", "wjw": "卫健委", "jyj": "教育局", "jtj": "交通运输局", "gjj": "公积金中心", "swj": "税务局",
    "zrzyj": "自然资源和规划局", "ybj": "医保局", "cl": "残联", "sfj": "司法局", "czj": "财政局", "sthjj": "生态环境局",
    "yjglj": "应急管理局", "tyjrj": "退役军人事务局",
}


def _demo_users() -> list[dict]:
    users = []
    for d in DEPARTMENTS:
        label = _DEPT_SHORT_LABEL[d["short"]]
        for suffix, role, title in (("admin", "org_admin", "目录管理员"), ("approver", "approver", "共享审核员"), ("user", "consumer", "业务人员")):
            users.append({"username": f"{d['short']}_{suffix}", "display_name": f"{label}{title}", "org": d["short"], "roles": [role]})
    for username, role, title in (
        ("platform_admin", "platform_admin", "平台系统管理员"),
        ("security_officer", "security_officer", "平台安全保密管理员"),
        ("auditor", "auditor", "平台安全审计员"),
    ):
        users.append({"username": username, "display_name": title, "org": OPERATOR_SHORT, "roles": [role]})
    return users


# username, display_name, org (department short slug), roles; all share DEMO_PASSWORD.
DEMO_USERS: list[dict] = _demo_users()


# ---------------------------------------------------------------------------- the city

# Household templates: member roles. 0 married head, 1 single head, 2 spouse, 3 first child,
# 4 second child, 5 parent A (father in T7, a widowed parent in T4/T5), 6 parent B (mother, T7).
_HH_ROLES = [[1], [0, 2], [0, 2, 3], [0, 2, 3, 4], [0, 2, 3, 5], [0, 2, 3, 4, 5], [1, 3], [0, 2, 3, 5, 6]]
_HH_P = np.array([0.17, 0.22, 0.25, 0.12, 0.08, 0.05, 0.06, 0.05])
_HH_SIZE = np.array([len(r) for r in _HH_ROLES])
_ROLE_MAT = np.full((len(_HH_ROLES), 5), -1)
for _t, _roles in enumerate(_HH_ROLES):
    _ROLE_MAT[_t, : len(_roles)] = _roles


class _City:
    """All record sets of one synthetic city (tables keyed by dataset name) plus helper arrays."""

    def __init__(self, seed: int, scale: float):
        self.seed = seed
        self.scale = scale
        self.tables: dict[str, pa.Table] = {}
        root = np.random.SeedSequence([seed, 330900])
        rngs = [np.random.default_rng(s) for s in root.spawn(12)]
        self._persons(rngs[0], max(50, int(round(POPULATION_ROWS * scale))))
        self._marriages(rngs[1])
        self._deaths(rngs[2])
        self._companies(rngs[3], max(20, int(round(LEGAL_PERSON_ROWS * scale))))
        self._social_security(rngs[4], max(30, int(round(SOCIAL_SECURITY_ROWS * scale))))
        self._real_estate(rngs[5])
        self._driving(rngs[6])

    # ------------------------------------------------------------------ persons
    def _persons(self, rng: np.random.Generator, target: int) -> None:
        n_h = int(target / 2.6) + 16
        while True:
            htype = rng.choice(len(_HH_P), size=n_h, p=_HH_P)
            cum = np.cumsum(_HH_SIZE[htype])
            if cum[-1] >= target:
                break
            n_h = int(n_h * 1.3) + 16
        nh = int(np.searchsorted(cum, target)) + 1
        htype = htype[:nh]
        sizes = _HH_SIZE[htype]
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        n = int(sizes.sum())
        hh = np.repeat(np.arange(nh), sizes)
        pos = np.arange(n) - start[hh]
        role = _ROLE_MAT[htype[hh], pos]
        t = htype
        u = rng.random(nh)

        # household-level ages (fractional years) and genders
        lo = np.array([20, 22, 25, 30, 30, 33, 28, 28], dtype=float)[t]
        hi = np.array([95, 88, 55, 55, 55, 55, 56, 48], dtype=float)[t]
        head_age = lo + (hi - lo) * u
        v = rng.random(nh)
        single_band = np.where(v < 0.35, 0, np.where(v < 0.65, 1, 2))
        head_age = np.where(t == 0, np.select([single_band == 0, single_band == 1], [20 + 15 * u, 35 + 30 * u], 65 + 30 * u), head_age)
        head_age = np.where(t == 1, np.where(v < 0.35, 22 + 18 * u, 50 + 38 * u), head_age)
        head_male = rng.random(nh) < np.select([t == 0, t == 6], [0.5, 0.3], 0.75)
        diff = np.clip(rng.normal(2.5, 2.5, nh), -5, 12)
        spouse_age = np.where(head_male, head_age - diff, head_age + diff)
        husband_age = np.where(head_male, head_age, spouse_age)
        wife_age = np.where(head_male, spouse_age, head_age)
        husband_age = np.maximum(husband_age, 22.2)
        wife_age = np.maximum(wife_age, 20.2)
        head_age = np.where(t == 0, head_age, np.where(head_male, husband_age, wife_age))
        spouse_age = np.where(head_male, wife_age, husband_age)
        mother_age = np.where(t == 6, np.where(head_male, head_age - 2, head_age), wife_age)
        mother_at_birth = 22 + np.minimum(14, np.maximum(mother_age - 22, 0)) * rng.random(nh)
        child1_age = np.maximum(mother_age - mother_at_birth, 0.05 + rng.random(nh) * 0.9)
        child2_age = np.maximum(child1_age - rng.uniform(1, 9, nh), 0.05 + rng.random(nh) * 0.5)
        par_a_age = np.minimum(head_age + rng.uniform(22, 34, nh), 99.5)
        par_b_age = np.maximum(par_a_age - rng.uniform(0, 5, nh), np.minimum(head_age + 20, 99))
        par_a_male = np.where(t == 7, True, rng.random(nh) < 0.3)

        h = hh
        age = np.select(
            [role <= 1, role == 2, role == 3, role == 4, role == 5],
            [head_age[h], spouse_age[h], child1_age[h], child2_age[h], par_a_age[h]],
            par_b_age[h],
        )
        male = np.select(
            [role <= 1, role == 2, (role == 3) | (role == 4), role == 5],
            [head_male[h], ~head_male[h], rng.random(n) < 0.515, par_a_male[h]],
            False,
        )
        birth = REF_DAY - (age * _YEAR).astype(np.int64) - 1
        age_years = (REF_DAY - birth) / _YEAR

        # marital status
        mu = rng.random(n)
        single_status = np.select(
            [age_years < 35, age_years < 60],
            [np.where(mu < 0.9, "未婚", "离异"), np.where(mu < 0.4, "未婚", "离异")],
            np.where(mu < 0.7, "丧偶", np.where(mu < 0.85, "离异", "未婚")),
        )
        single_parent_status = np.where((mu < 0.7) | (age_years < 40), "离异", "丧偶")
        tt = t[h]
        marital = np.select(
            [(role == 0) | (role == 2) | (role == 6), role == 1, (role == 3) | (role == 4), role == 5],
            [
                np.full(n, "已婚"),
                np.where(tt == 6, single_parent_status, single_status),
                np.full(n, "未婚"),
                np.where(tt == 7, "已婚", "丧偶"),
            ],
            "未婚",
        ).astype(object)

        # surnames
        sn = lambda k: rng.choice(len(SURNAMES), size=k, p=_SURNAME_P)  # noqa: E731
        head_sn, spouse_sn, other_sn = sn(nh), sn(nh), sn(nh)
        father_sn = np.where(head_male, head_sn, spouse_sn)
        mother_sn = np.where(head_male, spouse_sn, head_sn)
        cu = rng.random(n)
        child_sn = np.where(t[h] == 6, np.where(cu < 0.75, head_sn[h], other_sn[h]), np.where(cu < 0.9, father_sn[h], mother_sn[h]))
        person_other_sn = sn(n)
        surname = np.select(
            [role <= 1, role == 2, (role == 3) | (role == 4), (role == 5) & male],
            [head_sn[h], spouse_sn[h], child_sn, head_sn[h]],
            person_other_sn,
        )
        birth_year = _ymd(birth)[0]
        given = _given_names(rng, male, birth_year)
        sn_list = [SURNAMES[i] for i in surname.tolist()]
        names = [a + b for a, b in zip(sn_list, given)]

        # region, addresses
        h_region = rng.choice(4, size=nh, p=_COUNTY_P)
        h_addr = _addresses(rng, h_region)
        region = h_region[h]
        moved_mask = rng.random(n) < 0.08
        other_addr = _addresses(rng, region[moved_mask])
        address = np.asarray(h_addr, dtype=object)[h]
        address[moved_mask] = other_addr
        county_int = np.array([int(c) for c in COUNTY_CODES])
        id_region = np.where(rng.random(n) < 0.9, region, rng.integers(0, 4, n))
        seq = rng.integers(0, 500, n) * 2 + male.astype(np.int64)
        # unique ID numbers: redraw the sequence number of duplicates
        key = county_int[id_region] * 10**11 + birth * 1000 + seq
        for _ in range(50):
            _, first = np.unique(key, return_index=True)
            dup = np.ones(n, dtype=bool)
            dup[first] = False
            if not dup.any():
                break
            seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + male[dup].astype(np.int64)
            key = county_int[id_region] * 10**11 + birth * 1000 + seq
        ids = _id_numbers(county_int[id_region], birth, seq)

        # household ids: region code + serial within region
        h_serial = _rank_within(h_region, np.arange(nh)) + 1
        h_ids = [f"{COUNTY_CODES[r]}{s:06d}" for r, s in zip(h_region.tolist(), h_serial.tolist())]

        # ethnicity, education, mobile
        ethnicity = _choice_p(rng, _ETHNICITIES, _ETHNICITY_P, n)
        cohort = np.digitize(birth_year, [1950, 1965, 1980, 1995])
        eu = rng.random(n)
        edu_idx = (eu[:, None] > _EDU_CUM[cohort]).sum(axis=1)
        edu_idx = np.minimum(edu_idx, len(_EDUCATIONS) - 1)
        edu = np.asarray(_EDUCATIONS, dtype=object)[edu_idx]
        edu = np.select(
            [age_years < 6, age_years < 12, age_years < 15, age_years < 18],
            ["学龄前", "小学", "初中", "高中"],
            edu,
        ).astype(object)
        # 18-22 year olds in higher education
        student = (age_years >= 18) & (age_years < 22) & (edu_idx >= 5)
        edu[student] = np.where(rng.random(int(student.sum())) < 0.5, "大学本科", "大学专科")
        has_mobile = (age_years >= 16) | ((age_years >= 12) & (rng.random(n) < 0.6))
        mobile_num = np.asarray(_MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(_MOBILE_PREFIXES), n)] * 10**8 + rng.integers(0, 10**8, n)
        for _ in range(20):
            _, first = np.unique(mobile_num, return_index=True)
            dup = np.ones(n, dtype=bool)
            dup[first] = False
            if not dup.any():
                break
            mobile_num[dup] = mobile_num[dup] // 10**8 * 10**8 + rng.integers(0, 10**8, int(dup.sum()))
        mobile = [str(m) if ok else None for m, ok in zip(mobile_num.tolist(), has_mobile.tolist())]

        # moved-in (registered) dates
        head_in = birth[start] + ((np.minimum(REF_DAY, birth[start] + 80 * 365) - birth[start] - 18 * 365) * rng.random(nh)).astype(np.int64) + 18 * 365
        born_here = rng.random(nh) < 0.55
        head_in = np.where(born_here, birth[start] + rng.integers(5, 90, nh), head_in)
        head_in = np.minimum(head_in, REF_DAY - 1)
        self.start = start
        self.htype = htype
        self.role = role
        self.hh = hh
        self.birth = birth
        self.male = male
        self.age_years = age_years
        self.marital = marital
        self.region_idx = region
        self.h_region = h_region
        self.ids = np.asarray(ids, dtype=object)
        self.names = np.asarray(names, dtype=object)
        self.mobile = np.asarray(mobile, dtype=object)
        self.address = address
        self.h_addr = np.asarray(h_addr, dtype=object)
        # marriage dates are needed for the spouse's moved-in date: computed in _marriages
        self._head_in = head_in
        self._mother_at_birth = mother_at_birth
        self._rng_persons = rng
        self._pop_cols = dict(
            ethnicity=ethnicity, edu=edu, h_ids=np.asarray(h_ids, dtype=object),
        )

    # ------------------------------------------------------------------ marriages
    def _marriages(self, rng: np.random.Generator) -> None:
        t, start, role, n = self.htype, self.start, self.role, len(self.role)
        married_t = np.isin(t, [1, 2, 3, 4, 5, 7])
        hs = start[married_t]
        head_i, spouse_i = hs, hs + 1
        # T7 parent couples sit at positions 3 and 4
        ps = start[t == 7]
        a = np.concatenate([head_i, ps + 3])
        b = np.concatenate([spouse_i, ps + 4])
        husband = np.where(self.male[a], a, b)
        wife = np.where(self.male[a], b, a)
        has_child = np.concatenate([np.isin(t[married_t], [2, 3, 4, 5, 7]), np.zeros(len(ps), dtype=bool)])
        wm = np.where(np.arange(len(a)) < len(head_i), rng.uniform(20.5, 30, len(a)), rng.uniform(20.5, 27, len(a)))
        mab = np.concatenate([self._mother_at_birth[married_t], np.full(len(ps), 99.0)])
        wm = np.where(has_child, np.minimum(wm, mab - 0.75), wm)
        date = self.birth[wife] + (wm * _YEAR).astype(np.int64)
        date = np.maximum(date, np.maximum(_add_years(self.birth[husband], 22), _add_years(self.birth[wife], 20)) + 1)
        date = np.minimum(date, REF_DAY - rng.integers(1, 60, len(a)))
        kinds = np.zeros(len(a), dtype=np.int64)  # 0 marriage, 1 divorce

        # divorced single persons: pair men and women
        div = np.flatnonzero(self.marital == "离异")
        dm = rng.permutation(div[self.male[div]])
        dw = rng.permutation(div[~self.male[div]])
        k = int(min(len(dm), len(dw)) * 0.5)
        dm, dw = dm[:k], dw[:k]
        earliest = np.maximum(_add_years(self.birth[dm], 22), _add_years(self.birth[dw], 20)) + 1
        latest = REF_DAY - 400
        ok = earliest < latest
        dm, dw, earliest = dm[ok], dw[ok], earliest[ok]
        span = np.minimum(latest - earliest, int(12 * _YEAR))
        m_date = earliest + (rng.random(len(dm)) * span).astype(np.int64)
        d_date = np.minimum(m_date + rng.integers(365, int(15 * _YEAR), len(dm)), REF_DAY - rng.integers(1, 200, len(dm)))
        husband = np.concatenate([husband, dm, dm])
        wife = np.concatenate([wife, dw, dw])
        date = np.concatenate([date, m_date, d_date])
        kinds = np.concatenate([kinds, np.zeros(len(dm), dtype=np.int64), np.ones(len(dm), dtype=np.int64)])

        reg = self.region_idx[husband]
        year = _ymd(date)[0]
        serial = _rank_within(kinds, reg, year, date) + 1
        nos = [
            f"{'JL'[k]}{COUNTY_CODES[r]}-{y}-{s:06d}"
            for k, r, y, s in zip(kinds.tolist(), reg.tolist(), year.tolist(), serial.tolist())
        ]
        order = np.argsort(date, kind="stable")
        self.tables["marriage_registrations"] = pa.table(
            {
                "registration_no": pa.array(np.asarray(nos, dtype=object)[order], pa.string()),
                "registration_type": pa.array(np.where(kinds == 0, "结婚", "离婚")[order].astype(object), pa.string()),
                "male_id_number": pa.array(self.ids[husband][order], pa.string()),
                "male_name": pa.array(self.names[husband][order], pa.string()),
                "female_id_number": pa.array(self.ids[wife][order], pa.string()),
                "female_name": pa.array(self.names[wife][order], pa.string()),
                "registration_date": _date_col(date[order]),
                "registry_office": pa.array(np.asarray([_MARRIAGE_OFFICES[c] for c in COUNTY_CODES], dtype=object)[reg][order], pa.string()),
                "region_code": pa.array(np.asarray(COUNTY_CODES, dtype=object)[reg][order], pa.string()),
            },
            schema=arrow_schema(MARRIAGE_ITEMS),
        )

        # moved-in dates now that marriage dates are known
        prng = self._rng_persons
        hh, birth = self.hh, self.birth
        moved_in = self._head_in[hh].copy()
        spouse_pos = role == 2
        wed = np.full(n, REF_DAY - 1, dtype=np.int64)
        wed[head_i + 1] = date[: len(head_i)]
        moved_in = np.where(spouse_pos, np.minimum(wed + prng.integers(0, 180, n), REF_DAY - 1), moved_in)
        child = (role == 3) | (role == 4)
        moved_in = np.where(child, birth + prng.integers(3, 90, n), moved_in)
        parent = role >= 5
        moved_in = np.where(parent, moved_in + ((REF_DAY - moved_in) * prng.random(n)).astype(np.int64), moved_in)
        moved_in = np.clip(moved_in, birth + 1, REF_DAY - 1)
        self.moved_in = moved_in
        self._build_population_tables()

    def _build_population_tables(self) -> None:
        n = len(self.role)
        region_codes = np.asarray(COUNTY_CODES, dtype=object)[self.region_idx]
        h_ids = self._pop_cols["h_ids"][self.hh]
        gender = np.where(self.male, "男", "女").astype(object)
        self.region_codes = region_codes
        self.gender = gender
        self.tables["population"] = pa.table(
            {
                "id_number": pa.array(self.ids, pa.string()),
                "name": pa.array(self.names, pa.string()),
                "gender": pa.array(gender, pa.string()),
                "birth_date": _date_col(self.birth),
                "ethnicity": pa.array(self._pop_cols["ethnicity"], pa.string()),
                "mobile": pa.array(self.mobile, pa.string()),
                "address": pa.array(self.address, pa.string()),
                "region_code": pa.array(region_codes, pa.string()),
                "household_id": pa.array(h_ids, pa.string()),
                "marital_status": pa.array(self.marital, pa.string()),
                "education": pa.array(self._pop_cols["edu"], pa.string()),
                "registered_date": _date_col(self.moved_in),
            },
            schema=arrow_schema(POPULATION_ITEMS),
        )
        relation = np.select(
            [self.role <= 1, self.role == 2, ((self.role == 3) | (self.role == 4)) & self.male, (self.role == 3) | (self.role == 4), self.male],
            ["户主", "配偶", "子", "女", "父亲"],
            "母亲",
        ).astype(object)
        self.tables["household_register"] = pa.table(
            {
                "id_number": pa.array(self.ids, pa.string()),
                "name": pa.array(self.names, pa.string()),
                "household_id": pa.array(h_ids, pa.string()),
                "relation_to_head": pa.array(relation, pa.string()),
                "register_address": pa.array(self.h_addr[self.hh], pa.string()),
                "region_code": pa.array(region_codes, pa.string()),
                "moved_in_date": _date_col(self.moved_in),
            },
            schema=arrow_schema(HOUSEHOLD_ITEMS),
        )
        assert len(self.ids) == n

    # ------------------------------------------------------------------ deaths, cremations
    def _deaths(self, rng: np.random.Generator) -> None:
        n = len(self.ids)
        k = max(5, int(round(n * DEATH_RATE)))
        w = np.exp((np.minimum(self.age_years, 100) - 85) / 7)
        dead = _weighted_sample(rng, w, k)
        dod = REF_DAY - rng.integers(1, int(3 * _YEAR), len(dead))
        dod = np.maximum(dod, self.birth[dead] + 1)
        self.dead = np.zeros(n, dtype=bool)
        self.dead[dead] = True
        self.death_day = np.full(n, REF_DAY + 10**6, dtype=np.int64)
        self.death_day[dead] = dod
        reg = self.region_idx[dead]
        place = _choice_p(rng, ["医疗卫生机构", "家中", "养老机构", "其他场所"], [0.65, 0.28, 0.05, 0.02], len(dead))
        hosp = [rng.choice(_HOSPITALS[COUNTY_CODES[r]]) for r in reg.tolist()]
        centre = [rng.choice(_HEALTH_CENTRES[COUNTY_CODES[r]]) for r in reg.tolist()]
        institution = np.where(place == "医疗卫生机构", np.asarray(hosp, dtype=object), np.asarray(centre, dtype=object))
        cause = _choice_p(
            rng,
            ["循环系统疾病", "恶性肿瘤", "呼吸系统疾病", "损伤和中毒", "内分泌营养和代谢疾病", "神经系统疾病", "消化系统疾病", "其他疾病"],
            [0.40, 0.27, 0.12, 0.06, 0.04, 0.04, 0.03, 0.04],
            len(dead),
        )
        rc = np.asarray(COUNTY_CODES, dtype=object)[reg]
        self.tables["deaths"] = pa.table(
            {
                "id_number": pa.array(self.ids[dead], pa.string()),
                "name": pa.array(self.names[dead], pa.string()),
                "gender": pa.array(self.gender[dead], pa.string()),
                "date_of_death": _date_col(dod),
                "place_of_death": pa.array(place, pa.string()),
                "certifying_institution": pa.array(institution, pa.string()),
                "cause_category": pa.array(cause, pa.string()),
                "region_code": pa.array(rc, pa.string()),
            },
            schema=arrow_schema(DEATH_ITEMS),
        )
        # cremations: most deaths, plus a few cremations without a death registration
        cremated = dead[rng.random(len(dead)) < 0.96]
        elders = np.flatnonzero((self.age_years >= 75) & ~self.dead)
        extra = rng.choice(elders, size=min(len(elders), max(2, int(round(CREMATION_WITHOUT_DEATH * self.scale)))), replace=False)
        self.cremation_without_death = np.sort(extra)
        c_idx = np.concatenate([cremated, np.sort(extra)])
        c_dod = np.concatenate([self.death_day[cremated], REF_DAY - rng.integers(10, 700, len(extra))])
        c_date = np.minimum(c_dod + rng.integers(1, 6, len(c_idx)), REF_DAY)
        c_reg = self.region_idx[c_idx]
        homes = np.asarray([_FUNERAL_HOMES[c] for c in COUNTY_CODES], dtype=object)[c_reg]
        ashes = _choice_p(rng, ["公墓安葬", "骨灰海葬", "骨灰堂存放", "家属领回"], [0.62, 0.12, 0.16, 0.10], len(c_idx))
        order = np.argsort(c_date, kind="stable")
        self.tables["cremations"] = pa.table(
            {
                "id_number": pa.array(self.ids[c_idx][order], pa.string()),
                "name": pa.array(self.names[c_idx][order], pa.string()),
                "gender": pa.array(self.gender[c_idx][order], pa.string()),
                "date_of_death": _date_col(c_dod[order]),
                "cremation_date": _date_col(c_date[order]),
                "funeral_home": pa.array(homes[order], pa.string()),
                "ash_disposition": pa.array(ashes[order], pa.string()),
                "region_code": pa.array(np.asarray(COUNTY_CODES, dtype=object)[c_reg][order], pa.string()),
            },
            schema=arrow_schema(CREMATION_ITEMS),
        )

    # ------------------------------------------------------------------ companies
    def _companies(self, rng: np.random.Generator, m: int) -> None:
        alive_adult = np.flatnonzero(~self.dead & (self.age_years >= 25) & (self.age_years <= 75))
        rep = rng.choice(alive_adult, size=m, replace=True)
        reg = np.where(rng.random(m) < 0.85, self.region_idx[rep], rng.choice(4, size=m, p=_COUNTY_P))
        # established: 1992..reference, more recent more likely
        est = REF_DAY - (rng.power(0.55, m) * (REF_DAY - _day(_dt.date(1992, 1, 1)))).astype(np.int64)
        ind_w = np.array([w for _, _, w in _INDUSTRIES])
        ind = rng.choice(len(_INDUSTRIES), size=m, p=ind_w / ind_w.sum())
        form = rng.choice(3, size=m, p=_COMPANY_FORM_P)
        pu = rng.random(m)
        county_names = np.asarray([COUNTY_NAMES[c] for c in COUNTY_CODES], dtype=object)
        prefix = np.where(pu < 0.45, "舟山", np.where(pu < 0.8, "舟山市" + county_names[reg], np.where(pu < 0.95, county_names[reg], "浙江")))
        prefix = np.where((prefix == county_names[reg]) & (reg <= 1), "舟山市" + county_names[reg], prefix)
        names = np.empty(m, dtype=object)
        todo = np.arange(m)
        for _ in range(40):
            a = rng.integers(0, len(_TRADE_CHARS), len(todo))
            b = rng.integers(0, len(_TRADE_CHARS), len(todo))
            for i, x, y in zip(todo.tolist(), a.tolist(), b.tolist()):
                names[i] = f"{prefix[i]}{_TRADE_CHARS[x]}{_TRADE_CHARS[y]}{_INDUSTRIES[ind[i]][0]}{_COMPANY_FORMS[form[i]]}"
            _, first = np.unique(names.astype(str), return_index=True)
            dup = np.ones(m, dtype=bool)
            dup[first] = False
            todo = np.flatnonzero(dup)
            if not len(todo):
                break
        # organisation code bodies: new-style MA2xxxxx from 2016, numeric before
        new_style = est >= _day(_dt.date(2016, 1, 1))
        ussc = np.empty(m, dtype=object)
        todo = np.arange(m)
        charset = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
        for _ in range(40):
            k = len(todo)
            tail = charset[rng.integers(0, len(charset), (k, 5))]
            digits = rng.integers(0, 10, (k, 7)).astype(str)
            first_digit = rng.integers(1, 8, k).astype(str)
            for j, i in enumerate(todo.tolist()):
                body = "MA2" + "".join(tail[j]) if new_style[i] else first_digit[j] + "".join(digits[j])
                ussc[i] = make_uscc("91", COUNTY_CODES[reg[i]], body)
            _, first = np.unique(ussc.astype(str), return_index=True)
            dup = np.ones(m, dtype=bool)
            dup[first] = False
            todo = np.flatnonzero(dup)
            if not len(todo):
                break
        capital = _choice_p(
            rng,
            [10.0, 30.0, 50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0, 3000.0, 5000.0, 10000.0, 50000.0],
            [0.08, 0.06, 0.14, 0.22, 0.12, 0.08, 0.12, 0.09, 0.04, 0.02, 0.015, 0.008, 0.002],
            m,
        ).astype(np.float64)
        su = rng.random(m)
        age_y = (REF_DAY - est) / _YEAR
        status = np.where(su < 0.03 + 0.004 * age_y, "吊销", np.where(su < 0.05 + 0.012 * age_y, "注销", "存续")).astype(object)
        addr = np.asarray(_addresses(rng, reg, business=True), dtype=object)
        scope = np.asarray([s for _, s, _ in _INDUSTRIES], dtype=object)[ind]
        rc = np.asarray(COUNTY_CODES, dtype=object)[reg]
        order = np.argsort(est, kind="stable")
        self.co_uscc, self.co_name, self.co_rep, self.co_reg = ussc[order], names[order], rep[order], reg[order]
        self.co_status, self.co_est, self.co_scope, self.co_addr = status[order], est[order], scope[order], addr[order]
        self.co_capital = capital[order]
        self.tables["legal_persons"] = pa.table(
            {
                "uscc": pa.array(self.co_uscc, pa.string()),
                "name": pa.array(self.co_name, pa.string()),
                "legal_representative_id": pa.array(self.ids[self.co_rep], pa.string()),
                "legal_representative_name": pa.array(self.names[self.co_rep], pa.string()),
                "registered_capital": pa.array(self.co_capital, pa.float64()),
                "established_date": _date_col(self.co_est),
                "business_scope": pa.array(self.co_scope, pa.string()),
                "address": pa.array(self.co_addr, pa.string()),
                "region_code": pa.array(rc[order], pa.string()),
                "status": pa.array(self.co_status, pa.string()),
            },
            schema=arrow_schema(LEGAL_PERSON_ITEMS),
        )
        # business licences of companies not deregistered
        lic = np.flatnonzero(self.co_status != "注销")
        l_est = self.co_est[lic]
        reissued = rng.random(len(lic)) < 0.4
        issue = np.where(reissued, l_est + ((REF_DAY - l_est) * rng.random(len(lic))).astype(np.int64), l_est)
        term = rng.choice([20, 30, 50], size=len(lic))
        valid_until = _add_years(l_est, term) - 1
        # a licence re-issued after its term ran out was re-issued with a new 20-year term
        valid_until = np.where(valid_until < issue, _add_years(issue, 20) - 1, valid_until)
        long_term = rng.random(len(lic)) < 0.5
        l_reg = self.co_reg[lic]
        iy = _ymd(issue)[0]
        serial = _rank_within(l_reg, iy, issue) + 1
        lic_no = [f"{COUNTY_CODES[r]}{y}{s:06d}" for r, y, s in zip(l_reg.tolist(), iy.tolist(), serial.tolist())]
        self.tables["business_licences"] = pa.table(
            {
                "licence_no": pa.array(lic_no, pa.string()),
                "uscc": pa.array(self.co_uscc[lic], pa.string()),
                "company_name": pa.array(self.co_name[lic], pa.string()),
                "legal_representative_name": pa.array(self.names[self.co_rep[lic]], pa.string()),
                "issue_date": _date_col(issue),
                "valid_until": _date_col(valid_until, mask=long_term),
                "scope": pa.array(self.co_scope[lic], pa.string()),
                "region_code": pa.array(np.asarray(COUNTY_CODES, dtype=object)[l_reg], pa.string()),
            },
            schema=arrow_schema(LICENCE_ITEMS),
        )

    # ------------------------------------------------------------------ social security
    def _social_security(self, rng: np.random.Generator, rows: int) -> None:
        months = SOCIAL_SECURITY_MONTHS
        types = ["养老", "医疗", "失业", "工伤", "生育"]
        personal_rate = np.array([0.08, 0.02, 0.005, 0.0, 0.0])
        employer_rate = np.array([0.14, 0.095, 0.005, 0.004, 0.005])
        ref_y, ref_m, _ = _ymd(np.array([REF_DAY]))
        last = int(ref_y[0]) * 12 + int(ref_m[0]) - 1
        periods = [last - months + 1 + i for i in range(months)]
        period_str = np.asarray([f"{p // 12}{p % 12 + 1:02d}" for p in periods], dtype=object)
        retire_age = np.where(self.male, 60, 55)
        eligible = np.flatnonzero(~self.dead & (self.age_years >= 18) & (self.age_years < retire_age))
        active = np.flatnonzero(self.co_status == "存续")
        need = int(rows / (len(types) * months * 0.7)) + 10
        emp = rng.choice(eligible, size=min(need, len(eligible)), replace=False)
        emp.sort()
        e = len(emp)
        w = self.co_capital[active] ** 0.6
        employer = active[rng.choice(len(active), size=e, p=w / w.sum())]
        first = np.where(rng.random(e) < 0.75, 0, rng.integers(0, months, e))
        last_m = np.where(rng.random(e) < 0.85, months - 1, rng.integers(0, months, e))
        last_m = np.maximum(first, last_m)
        n_months = last_m - first + 1
        base = np.clip(np.round(rng.lognormal(np.log(7200), 0.45, e), 0), 4462.0, 24930.0)
        per_emp = n_months * len(types)
        r_emp = np.repeat(np.arange(e), per_emp)
        within = np.arange(len(r_emp)) - np.repeat(np.cumsum(per_emp) - per_emp, per_emp)
        r_month = first[r_emp] + within // len(types)
        r_type = within % len(types)
        r_emp, r_month, r_type = r_emp[:rows], r_month[:rows], r_type[:rows]
        nr = len(r_emp)
        person = emp[r_emp]
        b = base[r_emp]
        pid = [f"JF{p}{i:08d}" for p, i in zip(period_str[r_month].tolist(), range(1, nr + 1))]
        self.ss_people = emp
        self.tables["social_security_payments"] = pa.table(
            {
                "payment_id": pa.array(pid, pa.string()),
                "id_number": pa.array(self.ids[person], pa.string()),
                "name": pa.array(self.names[person], pa.string()),
                "employer_uscc": pa.array(self.co_uscc[employer[r_emp]], pa.string()),
                "period": pa.array(period_str[r_month], pa.string()),
                "insurance_type": pa.array(np.asarray(types, dtype=object)[r_type], pa.string()),
                "base_amount": pa.array(b, pa.float64()),
                "personal_amount": pa.array(np.round(b * personal_rate[r_type], 2), pa.float64()),
                "employer_amount": pa.array(np.round(b * employer_rate[r_type], 2), pa.float64()),
            },
            schema=arrow_schema(SOCIAL_SECURITY_ITEMS),
        )

    # ------------------------------------------------------------------ real estate
    def _real_estate(self, rng: np.random.Generator) -> None:
        nh = len(self.start)
        heads = self.start
        own_home = rng.random(nh) < 0.75
        couple = np.isin(self.htype, [1, 2, 3, 4, 5, 7])
        homes = heads[own_home]
        home_mode = np.where(couple[own_home] & (rng.random(int(own_home.sum())) < 0.6), "共同共有", "单独所有")
        extra_n = _choice_p(rng, [0, 1, 2, 3, 4, 5, 6, 8], [0.88, 0.075, 0.03, 0.008, 0.003, 0.002, 0.001, 0.001], nh).astype(np.int64)
        extra_n = np.where(self.age_years[heads] < 25, 0, extra_n)
        # extra properties belong to the head or the spouse
        owner_of_extra = np.where(couple & (rng.random(nh) < 0.35), heads + 1, heads)
        ex_owner = np.repeat(owner_of_extra, extra_n)
        ne = len(ex_owner)
        ex_reg = rng.choice(4, size=ne, p=_COUNTY_P)
        ex_usage = _choice_p(rng, ["住宅", "商业", "工业"], [0.72, 0.24, 0.04], ne)
        owner = np.concatenate([homes, ex_owner])
        reg = np.concatenate([self.h_region[own_home], ex_reg])
        loc = np.concatenate([self.h_addr[own_home], np.asarray(_addresses(rng, ex_reg), dtype=object)])
        usage = np.concatenate([np.full(len(homes), "住宅", dtype=object), ex_usage])
        mode = np.concatenate([home_mode.astype(object), np.full(ne, "单独所有", dtype=object)])
        k = len(owner)
        area = np.select(
            [usage == "住宅", usage == "商业"],
            [np.clip(rng.lognormal(np.log(92), 0.3, k), 35, 260), np.clip(rng.lognormal(np.log(80), 0.8, k), 15, 1500)],
            np.clip(rng.lognormal(np.log(1200), 0.7, k), 200, 20000),
        )
        area = np.round(area, 2)
        start = _day(_dt.date(2016, 1, 1))
        reg_date = start + ((REF_DAY - start) * rng.random(k)).astype(np.int64)
        reg_date = np.maximum(reg_date, _add_years(self.birth[owner], 18))
        reg_date = np.minimum(reg_date, REF_DAY - 1)
        year = _ymd(reg_date)[0]
        serial = _rank_within(reg, year, reg_date) + 1
        issuers = [_ESTATE_ISSUERS[c] for c in COUNTY_CODES]
        cert = [f"浙({y}){issuers[r]}不动产权第{s:07d}号" for r, y, s in zip(reg.tolist(), year.tolist(), serial.tolist())]
        order = np.argsort(reg_date, kind="stable")
        self.estate_owner = owner
        self.tables["real_estate_ownership"] = pa.table(
            {
                "certificate_no": pa.array(np.asarray(cert, dtype=object)[order], pa.string()),
                "owner_id_number": pa.array(self.ids[owner][order], pa.string()),
                "owner_name": pa.array(self.names[owner][order], pa.string()),
                "location": pa.array(loc[order], pa.string()),
                "region_code": pa.array(np.asarray(COUNTY_CODES, dtype=object)[reg][order], pa.string()),
                "area_sqm": pa.array(area[order], pa.float64()),
                "usage": pa.array(usage[order], pa.string()),
                "share_mode": pa.array(mode[order], pa.string()),
                "registration_date": _date_col(reg_date[order]),
            },
            schema=arrow_schema(REAL_ESTATE_ITEMS),
        )

    # ------------------------------------------------------------------ driving licences
    def _driving(self, rng: np.random.Generator) -> None:
        a = self.age_years
        p = np.where(self.male, 0.68, 0.42) * ((a >= 18) & (a <= 78)) * np.where(a > 65, 0.5, 1.0)
        drivers = np.flatnonzero((rng.random(len(a)) < p) & ~self.dead)
        k = len(drivers)
        earliest = _add_years(self.birth[drivers], 18)
        earliest = np.maximum(earliest, _day(_dt.date(1985, 1, 1)))
        first = earliest + ((REF_DAY - 30 - earliest) * rng.random(k) ** 0.8).astype(np.int64)
        first = np.minimum(first, REF_DAY - 30)
        # the scoring period is the licence year (from the first-issue anniversary) containing today
        years = np.floor((REF_DAY - first) / _YEAR).astype(np.int64)
        years = np.where(_add_years(first, years) > REF_DAY, years - 1, years)
        years = np.where(_add_years(first, years + 1) <= REF_DAY, years + 1, years)
        p_start = _add_years(first, years)
        p_end = _add_years(first, years + 1) - 1
        points = _choice_p(rng, [0, 1, 2, 3, 4, 6, 7, 9, 12], [0.72, 0.05, 0.04, 0.09, 0.01, 0.05, 0.01, 0.02, 0.01], k).astype(np.int64)
        vclass = _choice_p(rng, ["C1", "C2", "B2", "A2", "A1", "B1", "D", "C1E"], [0.76, 0.09, 0.04, 0.02, 0.01, 0.01, 0.05, 0.02], k)
        serial = rng.permutation(k) + 1
        lic = [f"3309{s + 10**7:08d}" for s in serial.tolist()]
        self.tables["driving_points"] = pa.table(
            {
                "licence_no": pa.array(lic, pa.string()),
                "id_number": pa.array(self.ids[drivers], pa.string()),
                "name": pa.array(self.names[drivers], pa.string()),
                "vehicle_class": pa.array(vclass, pa.string()),
                "first_issue_date": _date_col(first),
                "points": pa.array(points, pa.int64()),
                "period_start": _date_col(p_start),
                "period_end": _date_col(p_end),
            },
            schema=arrow_schema(DRIVING_ITEMS),
        )


def _given_names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray) -> list[str]:
    n = len(male)
    u = rng.random(n)
    two = rng.random(n) < 0.72
    a = rng.integers(0, 10**6, n)
    b = rng.integers(0, 10**6, n)
    out = []
    mc, fc, mo, fo, mn, fn = _MALE_CHARS, _FEMALE_CHARS, _MALE_OLD, _FEMALE_OLD, _MALE_NEW, _FEMALE_NEW
    for is_m, y, uu, t, x, z in zip(male.tolist(), birth_year.tolist(), u.tolist(), two.tolist(), a.tolist(), b.tolist()):
        if y < 1965 and uu < 0.35:
            pool = mo if is_m else fo
            out.append(pool[x % len(pool)])
        elif y >= 2005 and uu < 0.35:
            pool = mn if is_m else fn
            out.append(pool[x % len(pool)])
        else:
            chars = mc if is_m else fc
            out.append(chars[x % len(chars)] + (chars[z % len(chars)] if t else ""))
    return out


def _addresses(rng: np.random.Generator, region_idx: np.ndarray, business: bool = False) -> list[str]:
    """Addresses like 舟山市定海区解放西路128号3幢402室, consistent with the county of each row."""
    k = len(region_idx)
    stem_u = rng.random(k)
    num = rng.integers(1, 400, k)
    bld = rng.integers(1, 30, k)
    unit = rng.integers(1, 4, k)
    floor_ = rng.integers(1, 19, k)
    room = rng.integers(1, 5, k)
    flat = rng.random(k) < (0.35 if business else 0.7)
    out = []
    for r, su, nm, bd, un, fl, rm, fa in zip(
        region_idx.tolist(), stem_u.tolist(), num.tolist(), bld.tolist(), unit.tolist(), floor_.tolist(), room.tolist(), flat.tolist()
    ):
        code = COUNTY_CODES[r]
        stems = _ADDRESS_STEMS[code]
        stem = stems[int(su * len(stems))]
        base = f"舟山市{COUNTY_NAMES[code]}{stem}{nm}号"
        if stem.endswith("村"):
            out.append(base)
        elif business:
            out.append(base + (f"{fl}{rm:02d}室" if fa else ""))
        else:
            out.append(base + (f"{bd}幢{un}单元{fl}{rm:02d}室" if fa else ""))
    return out


@lru_cache(maxsize=4)
def _city(seed: int, scale: float) -> _City:
    return _City(seed, scale)


# ---------------------------------------------------------------------------- item specs

_SENS = {"g": "general", "i": "important", "c": "core"}
# Common items: token -> (label, type+length, pi_kind, sensitivity)
_LIB: dict[str, tuple[str, str, str, str]] = {
    "id_number": ("公民身份号码", "C18", "id_number", "important"),
    "name": ("姓名", "C50", "name", "general"),
    "gender": ("性别", "C2", "none", "general"),
    "birth_date": ("出生日期", "D", "none", "general"),
    "ethnicity": ("民族", "C20", "none", "important"),
    "mobile": ("联系电话", "C11", "mobile", "important"),
    "address": ("住址", "C200", "address", "important"),
    "region_code": ("行政区划代码", "C6", "none", "general"),
    "uscc": ("统一社会信用代码", "C18", "uscc", "general"),
    "company_name": ("企业名称", "C100", "none", "general"),
    "org_name": ("单位名称", "C100", "none", "general"),
    "legal_representative_name": ("法定代表人", "C50", "name", "general"),
    "reg_address": ("住所", "C200", "none", "general"),
    "contact_phone": ("联系电话", "C20", "none", "general"),
    "longitude": ("经度", "N6", "none", "general"),
    "latitude": ("纬度", "N6", "none", "general"),
    "bank_card_no": ("银行卡号", "C19", "bank_card", "important"),
    "household_id": ("户号", "C12", "none", "general"),
    "update_time": ("更新时间", "T", "none", "general"),
}
_TOKEN = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)"
    r"(?::(?P<label>[^:]+):(?P<type>[CNYDTLMBIF])(?P<num>\d+)?)?"
    r"(?P<flags>[*!]*)"
    r"(?:~(?P<pi>[a-z_]+))?"
    r"(?:\^(?P<sens>[gic]))?"
    r"(?:=(?P<pool>.+))?$"
)


def _parse_items(spec: str) -> tuple[list[dict], dict[str, str]]:
    """Items from a compact spec and the value hints (pools, ranges, templates) by item name.

    Token: ``name`` (common item) or ``name:标签:C50`` then flags ``*`` key, ``!`` required,
    ``~pi_kind``, ``^g|i|c`` sensitivity, ``=hint`` (``a|b|c`` pool, ``1..9`` range, ``#tmpl``).
    """
    items: list[dict] = []
    hints: dict[str, str] = {}
    for tok in spec.split():
        m = _TOKEN.match(tok)
        if not m:
            raise ValueError(f"bad item token {tok!r}")
        name = m["name"]
        if m["label"]:
            label, dtype, num = m["label"], m["type"], m["num"]
            pi, sens = "none", "general"
        else:
            if name not in _LIB:
                raise ValueError(f"unknown common item {name!r}")
            label, ts, pi, sens = _LIB[name]
            dtype, num = ts[0], ts[1:] or None
        if m["pi"]:
            pi = m["pi"]
            if sens == "general" and pi in ("id_number", "mobile", "address", "bank_card"):
                sens = "important"
        if m["sens"]:
            sens = _SENS[m["sens"]]
        key = "*" in m["flags"]
        length = int(num) if dtype == "C" and num else None
        if dtype == "C" and length is None:
            raise ValueError(f"character item {name!r} needs a length")
        precision = int(num) if dtype == "N" and num else (2 if dtype == "Y" else None)
        items.append({
            "name": name,
            "label": label,
            "data_type": dtype,
            "length": length,
            "precision": precision,
            "required": key or "!" in m["flags"],
            "is_key": key,
            "sensitivity": sens,
            "pi_kind": pi,
        })
        if m["pool"]:
            hints[name] = m["pool"]
    names = [it["name"] for it in items]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate item names in {spec!r}")
    return items, hints


def _items(spec: str) -> list[dict]:
    return _parse_items(spec)[0]


POPULATION_ITEMS = _items(
    "id_number*^i name! gender! birth_date! ethnicity mobile address! region_code! household_id! "
    "marital_status:婚姻状况:C4 education:文化程度:C20 registered_date:登记日期:D!"
)
HOUSEHOLD_ITEMS = _items(
    "id_number* name! household_id! relation_to_head:与户主关系:C10! register_address:户籍地址:C200!~address "
    "region_code! moved_in_date:迁入日期:D!"
)
LEGAL_PERSON_ITEMS = _items(
    "uscc* name:企业名称:C100! legal_representative_id:法定代表人身份证号码:C18!~id_number legal_representative_name! "
    "registered_capital:注册资本（万元）:Y! established_date:成立日期:D! business_scope:经营范围:C500! "
    "address:住所:C200! region_code! status:登记状态:C4!"
)
MARRIAGE_ITEMS = _items(
    "registration_no:登记证字号:C24* registration_type:登记类型:C2! male_id_number:男方公民身份号码:C18!~id_number "
    "male_name:男方姓名:C50!~name female_id_number:女方公民身份号码:C18!~id_number female_name:女方姓名:C50!~name "
    "registration_date:登记日期:D! registry_office:登记机关:C50! region_code!"
)
SOCIAL_SECURITY_ITEMS = _items(
    "payment_id:缴费记录编号:C20* id_number! name! employer_uscc:缴费单位统一社会信用代码:C18!~uscc "
    "period:费款所属期:C6! insurance_type:险种:C4! base_amount:缴费基数:Y! personal_amount:个人缴纳金额:Y! "
    "employer_amount:单位缴纳金额:Y!"
)
REAL_ESTATE_ITEMS = _items(
    "certificate_no:不动产权证书号:C40* owner_id_number:权利人证件号码:C18!~id_number owner_name:权利人:C50!~name "
    "location:坐落:C200!~address region_code! area_sqm:建筑面积（平方米）:N2! usage:规划用途:C10! "
    "share_mode:共有情况:C10! registration_date:登簿日期:D!"
)
LICENCE_ITEMS = _items(
    "licence_no:营业执照编号:C16* uscc! company_name! legal_representative_name! issue_date:发照日期:D! "
    "valid_until:营业期限至:D scope:经营范围:C500! region_code!"
)
DEATH_ITEMS = _items(
    "id_number* name! gender! date_of_death:死亡日期:D! place_of_death:死亡地点类别:C10! "
    "certifying_institution:出具证明机构:C50! cause_category:根本死因类别:C20!^i region_code!"
)
CREMATION_ITEMS = _items(
    "id_number* name! gender! date_of_death:死亡日期:D! cremation_date:火化日期:D! funeral_home:殡仪馆:C50! "
    "ash_disposition:骨灰去向:C10 region_code!"
)
DRIVING_ITEMS = _items(
    "licence_no:驾驶证档案编号:C12* id_number! name! vehicle_class:准驾车型:C10! first_issue_date:初次领证日期:D! "
    "points:累积记分:I! period_start:记分周期始:D! period_end:记分周期止:D!"
)


def population(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """人口基础信息 (公安局): one row per person."""
    return _city(seed, scale).tables["population"]


def household_register(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """户籍信息 (公安局): one row per person, with household and relation to the head."""
    return _city(seed, scale).tables["household_register"]


def legal_persons(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """法人基础信息 (市场监管局): companies; representatives are persons of the population."""
    return _city(seed, scale).tables["legal_persons"]


def marriage_registrations(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """婚姻登记 (民政局): marriages of married couples and marriages + divorces of divorced pairs."""
    return _city(seed, scale).tables["marriage_registrations"]


def social_security_payments(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """社保缴费 (人社局): monthly payments per person and insurance type."""
    return _city(seed, scale).tables["social_security_payments"]


def real_estate_ownership(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """不动产权属 (不动产登记中心): homes of households plus extra flats (some own several)."""
    return _city(seed, scale).tables["real_estate_ownership"]


def business_licences(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """营业执照 (市场监管局): licences of companies that are not deregistered."""
    return _city(seed, scale).tables["business_licences"]


def deaths(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """死亡医学证明 (卫健委): persons of the population who died in the last three years."""
    return _city(seed, scale).tables["deaths"]


def cremations(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """火化记录 (民政局): most deaths, plus a few persons without a death registration."""
    return _city(seed, scale).tables["cremations"]


def driving_points(seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """驾驶证记分 (公安局交通警察支队): current scoring period of each driver."""
    return _city(seed, scale).tables["driving_points"]


# name -> generator, items, Chinese label, provider, minimum rows at scale 1.0
DATASETS: dict[str, dict[str, Any]] = {
    "population": {"generator": population, "items": POPULATION_ITEMS, "label": "人口基础信息", "provider": "gaj", "min_rows": 100_000},
    "legal_persons": {"generator": legal_persons, "items": LEGAL_PERSON_ITEMS, "label": "法人基础信息", "provider": "scjgj", "min_rows": 10_000},
    "marriage_registrations": {"generator": marriage_registrations, "items": MARRIAGE_ITEMS, "label": "婚姻登记信息", "provider": "mzj", "min_rows": 20_000},
    "household_register": {"generator": household_register, "items": HOUSEHOLD_ITEMS, "label": "户籍信息", "provider": "gaj", "min_rows": 100_000},
    "social_security_payments": {"generator": social_security_payments, "items": SOCIAL_SECURITY_ITEMS, "label": "社会保险缴费信息", "provider": "rsj", "min_rows": SOCIAL_SECURITY_ROWS},
    "real_estate_ownership": {"generator": real_estate_ownership, "items": REAL_ESTATE_ITEMS, "label": "不动产权属信息", "provider": "bdc", "min_rows": 25_000},
    "business_licences": {"generator": business_licences, "items": LICENCE_ITEMS, "label": "营业执照信息", "provider": "scjgj", "min_rows": 8_000},
    "deaths": {"generator": deaths, "items": DEATH_ITEMS, "label": "死亡医学证明信息", "provider": "wjw", "min_rows": 2_000},
    "cremations": {"generator": cremations, "items": CREMATION_ITEMS, "label": "火化信息", "provider": "mzj", "min_rows": 2_000},
    "driving_points": {"generator": driving_points, "items": DRIVING_ITEMS, "label": "机动车驾驶证记分信息", "provider": "gaj", "min_rows": 20_000},
}


def generate_all(seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, pa.Table]:
    """Every big record set, by dataset name."""
    return {name: ds["generator"](seed, scale) for name, ds in DATASETS.items()}


# ---------------------------------------------------------------------------- catalog

# Internal definitions; `catalog_entries()` turns them into plain dicts.
_ENTRY_DEFS: list[dict] = []
# (provider, entry name) -> value hints of its items, rows hint, person filter, fixed rows
_ENTRY_HINTS: dict[tuple[str, str], dict[str, Any]] = {}

_DEFAULT_CONDITION = "仅限履行法定职责和办理政务服务事项使用，不得用于其他目的或向第三方提供"


def _E(
    provider: str,
    name: str,
    class_path: str,
    summary: str,
    items: str | list[dict],
    *,
    cat: str = "department",
    fmt: str = "database",
    share: str = "conditional",
    cond: str | None = None,
    methods: str = "api",
    open_: str = "closed",
    open_cond: str | None = None,
    cycle: str = "monthly",
    dataset: str | None = None,
    m: bool = True,
    stale: bool = False,
    status: str = "published",
    rows: int | None = None,
    ages: tuple[int, int] | None = None,
    welfare: bool = False,
    fixed: list[dict] | None = None,
) -> None:
    if isinstance(items, str):
        item_list, hints = _parse_items(items)
    else:
        item_list, hints = items, {}
    if share == "conditional" and not cond:
        cond = _DEFAULT_CONDITION
    if share == "unconditional":
        cond = None
    if open_ == "conditional" and not open_cond:
        open_cond = "经申请并签订数据开放利用协议后开放"
    labels = "、".join(it["label"] for it in item_list[:6])
    full_summary = f"{summary}信息项包括{labels}等。"
    if len(full_summary) > 256:
        full_summary = summary[:256]
    _ENTRY_DEFS.append({
        "provider": provider,
        "name": name,
        "summary": full_summary,
        "category": cat,
        "class_path": class_path.split("/"),
        "format": fmt,
        "share_type": share,
        "share_condition": cond,
        "share_methods": methods.split(","),
        "open_type": open_,
        "open_condition": open_cond if open_ == "conditional" else None,
        "update_cycle": cycle,
        "items": item_list,
        "dataset": dataset,
        "mounted": m and status == "published",
        "stale": stale and m and status == "published",
        "status": status,
    })
    _ENTRY_HINTS[(provider, name)] = {"hints": hints, "rows": rows, "ages": ages, "welfare": welfare, "fixed": fixed}


def _D(provider: str, name: str, class_path: str, summary: str, dataset: str, **kw: Any) -> None:
    """An entry backed by one of the big record sets."""
    kw.setdefault("methods", "api,batch")
    kw.setdefault("cycle", "daily")
    _E(provider, name, class_path, summary, [dict(it) for it in DATASETS[dataset]["items"]], dataset=dataset, **kw)


_COUNTY_TOWNS = {
    "330902": "解放街道 昌国街道 环南街道 城东街道 盐仓街道 临城街道 千岛街道 岑港街道 马岙街道 双桥街道 小沙街道 金塘镇 白泉镇 干览镇".split(),
    "330903": "沈家门街道 东港街道 朱家尖街道 展茅街道 勾山街道 六横镇 桃花镇 虾峙镇 东极镇 普陀山镇".split(),
    "330921": "高亭镇 东沙镇 岱西镇 岱东镇 衢山镇 秀山乡".split(),
    "330922": "菜园镇 嵊山镇 洋山镇 五龙乡 黄龙乡 枸杞乡 花鸟乡".split(),
}
_TOWNS_ALL = "|".join(t for ts in _COUNTY_TOWNS.values() for t in ts)
_DIVISION_ROWS = [
    {
        "division_code": f"{code}{i + 1:03d}000",
        "division_name": town,
        "division_level": "街道" if town.endswith("街道") else ("乡" if town.endswith("乡") else "镇"),
        "parent_code": code,
        "parent_name": COUNTY_NAMES[code],
    }
    for code, towns in _COUNTY_TOWNS.items()
    for i, town in enumerate(towns)
]
_FERRY_ROWS = [
    {"route_code": f"HX{i + 1:03d}", "route_name": f"{a}—{b}", "departure_port": a, "arrival_port": b, "duration_min": d, "daily_sailings": s, "operator": o}
    for i, (a, b, d, s, o) in enumerate([
        ("鸭蛋山", "宁波白峰", 25, 36, "舟山海峡轮渡集团有限公司"),
        ("三江", "岱山岱西", 35, 18, "舟山海峡轮渡集团有限公司"),
        ("沈家门半升洞", "普陀山", 20, 30, "舟山市普陀山朱家尖轮船有限公司"),
        ("朱家尖蜈蚣峙", "普陀山", 15, 40, "舟山市普陀山朱家尖轮船有限公司"),
        ("沈家门半升洞", "六横", 60, 12, "舟山市普陀交通旅游客运有限公司"),
        ("沈家门半升洞", "东极", 80, 4, "舟山市普陀交通旅游客运有限公司"),
        ("沈家门半升洞", "桃花", 50, 10, "舟山市普陀交通旅游客运有限公司"),
        ("三江", "嵊泗菜园", 120, 6, "嵊泗县交通旅游客运有限公司"),
        ("上海沈家湾", "嵊泗菜园", 100, 8, "嵊泗县交通旅游客运有限公司"),
        ("菜园", "枸杞", 40, 6, "嵊泗县交通旅游客运有限公司"),
        ("菜园", "嵊山", 60, 5, "嵊泗县交通旅游客运有限公司"),
        ("菜园", "花鸟", 50, 3, "嵊泗县交通旅游客运有限公司"),
        ("高亭", "衢山", 45, 8, "岱山县客运有限公司"),
        ("高亭", "秀山", 20, 10, "岱山县客运有限公司"),
        ("岱山南峰", "宁波", 90, 4, "岱山县客运有限公司"),
        ("白泉", "岱山南峰", 40, 9, "舟山海峡轮渡集团有限公司"),
        ("定海西码头", "金塘", 40, 12, "舟山海峡轮渡集团有限公司"),
        ("定海西码头", "册子", 25, 10, "舟山海峡轮渡集团有限公司"),
        ("沈家门", "虾峙", 40, 8, "舟山市普陀交通旅游客运有限公司"),
        ("普陀山", "洛迦山", 25, 6, "舟山市普陀山朱家尖轮船有限公司"),
    ])
]
_HOSPITAL_POOL = "|".join(h for hs in _HOSPITALS.values() for h in hs)
_DEPT_POOL = "|".join(d["name"] for d in DEPARTMENTS)
_COMPANY_TMPL = "#{P}{T}{海洋科技|水产|船舶修造|港口物流|建设工程|商贸|旅游开发|信息技术}有限公司"
_SERVICE_ITEMS = "住房公积金提取|失业保险金申领|企业设立登记|不动产转移登记|最低生活保障申请|结婚登记|出生一件事|退休一件事|残疾人证新办|道路运输从业资格证申领|公共租赁住房申请|医保关系转移|义务教育入学报名|个体工商户注册登记|渔业船舶登记"
_UNEMP = "仅限就业帮扶和失业保险待遇核定使用"


def _define_catalog() -> None:  # noqa: PLR0915 — one long list of entries
    # ---------------------------------------------------------------- 公安局
    g = "gaj"
    _D(g, "人口基础信息", "人口/人口基础信息", "全市户籍人口的身份、出生、民族、住址、婚姻状况和文化程度等基础信息，是人口基础库的主要数据来源。", "population", cat="base", share="unconditional")
    _D(g, "户籍信息", "人口/户籍/户籍登记", "全市居民户口登记信息，记录户号、与户主关系、户籍地址和迁入日期，可替代户口簿复印件。", "household_register", cond="仅限办理住房公积金、住房保障、社会救助、入学等政务服务事项核验户籍关系使用")
    _D(g, "机动车驾驶证记分信息", "交通/驾驶人/驾驶证记分", "全市机动车驾驶人当前记分周期内的累积记分情况。", "driving_points", cond="仅限道路运输从业资格管理、交通运输执法和信用监管使用")
    _E(g, "居民身份证签发信息", "人口/身份证件/居民身份证", "公安机关签发居民身份证的记录，用于身份核验和证照关联。",
       "id_number* name! gender birth_date card_issue_date:签发日期:D! card_valid_until:有效期截止日期:D issuing_authority:签发机关:C30=舟山市公安局定海区分局|舟山市公安局普陀区分局|岱山县公安局|嵊泗县公安局",
       cond="仅限身份核验使用，不得留存证件影像", cycle="daily", rows=400)
    _E(g, "居住证信息", "人口/流动人口/居住证", "为来舟居住人员签发的浙江省居住证记录。",
       "permit_no:居住证编号:C20*=#{rc}{y}{s6} id_number! name! gender address!~address issue_date:签发日期:D valid_until:有效期至:D",
       cond="仅限居住证持有人享受基本公共服务资格核验使用", cycle="daily", m=False)
    _E(g, "出入境证件签发信息", "人口/身份证件/出入境证件", "公安出入境管理部门签发护照、往来港澳台通行证的记录。",
       "doc_no:证件号码:C12*=#E{s8} doc_type:证件类型:C20=普通护照|往来港澳通行证|往来台湾通行证 id_number! name! issue_date:签发日期:D valid_until:有效期至:D issuing_authority:签发机关:C30=舟山市公安局出入境管理支队",
       cond="仅限公职人员出入境证件管理和出国（境）审批使用", m=False)
    _E(g, "机动车登记信息", "交通/机动车/机动车登记", "本市登记机动车的号牌、车辆类型、品牌型号、所有人和状态。",
       "plate_no:号牌号码:C10*=#浙L{A1}{d4} vehicle_type:车辆类型:C20=小型普通客车|小型越野客车|轻型厢式货车|重型半挂牵引车|普通二轮摩托车 brand_model:品牌型号:C50=比亚迪牌BYD7005BEV|大众牌SVW7142BPV|吉利牌MR7152B01|丰田牌GTM7200GB|特斯拉牌TSL7000BEVAR0|长城牌CC6460RM27 "
       "owner_id_number:所有人身份证号码:C18!~id_number owner_name:机动车所有人:C50!~name register_date:初次登记日期:D status:机动车状态:C10=正常|逾期未检验|抵押登记|注销",
       cond="仅限交通运输执法、社会救助家庭经济状况核对使用", cycle="daily", m=False)
    _E(g, "无犯罪记录证明开具信息", "社会治安/证明/无犯罪记录证明", "公安机关为个人开具无犯罪记录证明的记录，办理入职、从业资格时可通过共享核验，无需本人提交纸质证明。",
       "cert_no:证明编号:C24*=#WFZ{rc}{y}{s6} id_number! name! purpose:用途:C20=出国（境）|入职|道路运输从业资格|收养|教师资格认定 issue_date:开具日期:D! issuing_unit:出具单位:C30=舟山市公安局定海区分局|舟山市公安局普陀区分局|岱山县公安局|嵊泗县公安局",
       cond="仅限经本人授权办理入职、从业资格等政务服务事项时核验使用", cycle="daily")
    _E(g, "违法犯罪记录信息", "社会治安/违法犯罪/违法犯罪记录", "公安机关掌握的违法犯罪记录，依法不予共享，如需证明由本人申请开具无犯罪记录证明。",
       "record_no:记录编号:C20*=#FZ{rc}{y}{s6} id_number! name! case_type:案件类别:C20^c=盗窃|诈骗|危险驾驶|故意伤害 judgement_date:判决日期:D",
       share="none", cond="《公安机关办理犯罪记录查询工作规定》第二条、《中华人民共和国刑事诉讼法》第二百八十六条", m=False)
    _E(g, "道路交通事故信息", "交通/道路交通安全/交通事故", "全市道路交通事故的发生时间、地点、形态、伤亡和责任认定。",
       "accident_no:事故编号:C20*=#{rc}{y}{s6} accident_time:事故发生时间:T! location:事故地点:C100=#{C}{S}附近 accident_type:事故形态:C20=追尾|刮擦|碰撞运动车辆|碰撞静止车辆|侧翻|碾压 "
       "deaths_count:死亡人数:I=0..1 injured_count:受伤人数:I=0..4 responsibility:主要责任方认定:C20=全部责任|主要责任|同等责任|次要责任|无责任 region_code",
       cond="仅限交通运输安全管理和保险理赔协查使用", cycle="daily", m=False)
    _E(g, "流动人口登记信息", "人口/流动人口/流动人口登记", "来舟务工、经商等流动人口的登记信息。",
       "register_no:登记编号:C20*=#LD{rc}{s8} id_number! name! gender address~address origin_province:户籍地:C20=安徽省|江西省|四川省|贵州省|河南省|湖北省|云南省|江苏省 arrival_date:来舟日期:D occupation:职业:C20=制造业工人|渔业船员|建筑工人|餐饮服务|个体经营|家政服务",
       cond="仅限基本公共服务供给和社会治理使用", m=False)
    _E(g, "户口迁移信息", "人口/户籍/户口迁移", "户口迁入、迁出和市内迁移的登记记录。",
       "record_no:迁移记录编号:C20*=#QY{rc}{y}{s6} id_number! name! move_type:迁移类型:C10=迁入|迁出|市内迁移 from_address:迁出地:C100=#{P}{S} to_address:迁入地:C100=#{P}{S} move_date:迁移日期:D!",
       cond="仅限户籍关系核验、入学和社会保障关系转移使用", cycle="daily")
    _E(g, "出租房屋登记信息", "人口/流动人口/出租房屋", "出租房屋及承租人数的登记信息。",
       "record_no:登记编号:C20*=#CZ{rc}{s8} landlord_id_number:出租人身份证号码:C18!~id_number landlord_name:出租人:C50~name location:房屋坐落:C200~address tenants:承租人数:I=1..6 register_date:登记日期:D",
       status="draft")

    # ---------------------------------------------------------------- 民政局
    g = "mzj"
    _D(g, "婚姻登记信息", "人口/婚姻/婚姻登记", "全市婚姻登记机关办理的结婚、离婚登记记录，可替代结婚证、离婚证复印件。", "marriage_registrations",
       cond="仅限办理住房公积金、住房保障、社会救助、户籍等业务核验婚姻状况使用")
    _D(g, "火化信息", "民生保障/殡葬服务/火化记录", "全市殡仪馆的遗体火化记录，用于死亡信息比对和待遇停发。", "cremations",
       cond="仅限社会保险待遇停发、死亡人员信息比对等业务使用")
    _E(g, "最低生活保障对象信息", "民生保障/社会救助/最低生活保障", "全市城乡最低生活保障对象的家庭人口、保障金额和保障状态。",
       "id_number* name! gender address~address region_code! household_size:家庭人口数:I=1..5 monthly_allowance:月保障金额:Y=500..3200 start_date:纳入保障日期:D! status:保障状态:C10=在保|在保|在保|停保 bank_card_no",
       cat="theme", cond="仅限社会救助家庭经济状况核对及相关救助业务使用", methods="api,batch", rows=400, welfare=True)
    _E(g, "特困人员供养信息", "民生保障/社会救助/特困人员供养", "特困人员的供养方式、供养机构和供养标准。",
       "id_number* name! gender birth_date support_type:供养方式:C10=集中供养|分散供养 institution:供养机构:C30=舟山市社会福利中心|定海区福利院|普陀区福利院|岱山县福利院|嵊泗县福利院 monthly_amount:月供养标准:Y=1200..2400 start_date:认定日期:D region_code",
       cat="theme", cond="仅限社会救助家庭经济状况核对及相关救助业务使用", ages=(60, 100), welfare=True, rows=150)
    _E(g, "临时救助信息", "民生保障/社会救助/临时救助", "因突发事件、意外事故等导致基本生活暂时困难的家庭和个人获得临时救助的记录。",
       "aid_no:救助编号:C20*=#LS{rc}{y}{s5} id_number! name! aid_reason:救助事由:C20=突发疾病|意外事故|自然灾害|生活必需支出突增 amount:救助金额:Y=500..20000 aid_date:救助日期:D! region_code",
       cat="theme", cond="仅限社会救助家庭经济状况核对及相关救助业务使用", welfare=True, m=False)
    _E(g, "社会组织登记信息", "法人/社会组织/社会组织登记", "在民政部门登记的社会团体、民办非企业单位和基金会。",
       "uscc*=51|52|53 org_name:社会组织名称:C100!=#{P}{T}{渔业协会|物流行业协会|志愿者协会|书画院|养老服务中心|慈善基金会|文化研究会} org_type:组织类型:C10=社会团体|民办非企业单位|基金会 "
       "legal_representative_name registered_date:成立登记日期:D business_unit:业务主管单位:C30=舟山市民政局|舟山市教育局|舟山市卫生健康委员会|舟山市文化和广电旅游体育局 status:登记状态:C10=正常|正常|正常|注销",
       cat="base", share="unconditional")
    _E(g, "养老机构名录", "民生保障/养老服务/养老机构", "全市养老机构的名称、地址、床位数和性质，面向社会开放。",
       "inst_code:机构编码:C20*=#YL{rc}{s4} inst_name:机构名称:C100!=#{P}{T}{颐养院|敬老院|老年公寓|养老服务中心} location:地址:C200 beds:床位数:I=20..600 nature:机构性质:C10=公办|公建民营|民办 contact_phone region_code longitude latitude",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "殡葬服务机构名录", "民生保障/殡葬服务/殡葬服务机构", "殡仪馆、公墓和骨灰堂等殡葬服务机构名录。",
       "inst_code:机构编码:C20*=#BZ{rc}{s4} inst_name:机构名称:C100!=#{P}{T}{公墓|殡仪服务站|骨灰堂} location:地址:C200 contact_phone service_items:服务项目:C50=遗体接运、火化|骨灰寄存|海葬服务|公墓安葬 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=24, m=False)
    _E(g, "地名信息", "地理空间/地名/标准地名", "经审定的海岛、山体、港湾、道路和村（社区）等标准地名及位置。",
       "place_code:地名代码:C20*=#{rc}{s6} place_name:标准名称:C50!=#{T}{岛|山|湾|礁|港|村|社区} place_category:地名类别:C10=海岛|山体|港湾|礁石|村|社区|道路 region_code longitude latitude origin:地名含义:M=因岛形似得名|以当地传说得名|沿用历史地名|因港湾地理位置得名|以姓氏聚居得名",
       cat="base", share="unconditional", methods="api,file", open_="open", cycle="yearly")
    _E(g, "行政区划信息", "地理空间/行政区划/乡级区划", "全市街道、镇、乡的区划代码、名称和上级区划。",
       "division_code:区划代码:C12* division_name:区划名称:C30! division_level:层级:C4! parent_code:上级区划代码:C6! parent_name:上级区划名称:C10!",
       cat="base", share="unconditional", methods="api,file", open_="open", cycle="yearly", fixed=_DIVISION_ROWS)
    _E(g, "高龄津贴发放信息", "民生保障/养老服务/高龄津贴", "80周岁以上老年人高龄津贴的发放信息。",
       "id_number* name! birth_date allowance_level:津贴档次:C20=80-89周岁|90-99周岁|100周岁及以上 monthly_amount:月发放金额:Y=50..500 region_code",
       cond="仅限老年人福利待遇核定和死亡人员待遇停发比对使用", ages=(80, 100), welfare=True, m=False)
    _E(g, "婚姻登记机关名录", "人口/婚姻/婚姻登记机关", "婚姻登记机关的地址、电话和办公时间，支持网上预约。",
       "office_code:机关编号:C10*=#HY{s3} office_name:婚姻登记机关:C30!=#{P}{婚姻登记处|婚姻登记处便民服务点|民政服务中心} location:地址:C200 contact_phone service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)
    _E(g, "困难残疾人生活补贴和重度残疾人护理补贴信息", "民生保障/残疾人福利/两项补贴", "困难残疾人生活补贴和重度残疾人护理补贴的发放信息。",
       "id_number* name! subsidy_type:补贴类型:C20=困难残疾人生活补贴|重度残疾人护理补贴 amount:月补贴金额:Y=100..400 start_date:享受起始日期:D region_code",
       cat="theme", cond="仅限残疾人福利待遇核定使用", welfare=True)

    # ---------------------------------------------------------------- 人力资源和社会保障局
    g = "rsj"
    _D(g, "社会保险缴费信息", "社会保障/社会保险/社会保险缴费", "全市参保人员按月、分险种的社会保险缴费记录，可替代参保缴费证明。", "social_security_payments",
       cond="仅限办理失业保险、住房公积金、人才认定、社会救助家庭经济状况核对等业务使用", cycle="monthly")
    _E(g, "社会保险参保登记信息", "社会保障/社会保险/参保登记", "参保人员的参保单位、参保险种、参保日期和参保状态。",
       "id_number* name! employer_uscc:参保单位统一社会信用代码:C18~uscc employer_name:参保单位名称:C100 insured_type:参保险种:C20=企业职工基本养老保险|城乡居民基本养老保险 insured_date:参保日期:D status:参保状态:C10=参保缴费|暂停缴费|终止参保",
       cond="仅限参保状态核验和社会保障待遇核定使用", cycle="daily", rows=500)
    _E(g, "失业登记信息", "就业/失业/失业登记", "城镇失业人员的失业登记信息，替代失业人员到窗口提交居住证明等材料。",
       "reg_no:失业登记编号:C20*=#SY{rc}{y}{s6} id_number! name! gender reg_date:失业登记日期:D! reason:失业原因:C20=劳动合同期满|单位裁员|本人辞职|单位破产|其他 intended_job:求职意向:C20=普工|仓储物流|餐饮服务|船舶修造|销售|行政文员 region_code",
       cond=_UNEMP, cycle="daily", stale=True, ages=(18, 59))
    _E(g, "失业保险金发放信息", "就业/失业/失业保险金", "失业保险金按月发放记录。",
       "record_no:发放记录编号:C20*=#SJ{y}{s8} id_number! name! pay_month:发放年月:C6=#{ym} amount:发放金额:Y=1800..2400 bank_card_no",
       cond=_UNEMP, ages=(18, 59), welfare=True)
    _E(g, "就业登记信息", "就业/就业服务/就业登记", "用人单位招用劳动者的就业登记。",
       "record_no:登记编号:C20*=#JY{rc}{s8} id_number! name! employer_uscc:用人单位统一社会信用代码:C18~uscc employer_name:用人单位名称:C100 job:岗位:C20=普工|技术员|销售|会计|船员|厨师|司机 start_date:用工起始日期:D contract_type:合同类型:C20=固定期限|无固定期限|以完成一定工作任务为期限",
       cond=_UNEMP, ages=(18, 60), m=False)
    _E(g, "职业技能等级证书信息", "就业/职业能力/职业技能等级证书", "职业技能等级认定机构颁发的证书信息，可在线核验。",
       "cert_no:证书编号:C22*=#S{y}3309{s8} id_number! name! occupation:职业（工种）:C20=电工|焊工|养老护理员|中式烹调师|海员|育婴员|保育师|电子商务师|水产品原料处理工 level:等级:C20=五级/初级工|四级/中级工|三级/高级工|二级/技师|一级/高级技师 issue_date:发证日期:D! issuing_org:评价机构:C30=舟山市职业技能鉴定中心|浙江国际海运职业技术学院|舟山技师学院",
       share="unconditional", cycle="weekly")
    _E(g, "专业技术职务任职资格信息", "就业/人才/职称", "取得专业技术职务任职资格（职称）人员的资格信息。",
       "cert_no:证书编号:C20*=#ZC{y}{s8} id_number! name! series:职称系列:C10=工程|卫生|教育|经济|农业|会计 title:资格名称:C20=助理工程师|工程师|高级工程师|主治医师|一级教师|高级经济师|中级会计师 approval_date:取得时间:D!",
       share="unconditional", m=False)
    _E(g, "养老保险待遇领取信息", "社会保障/社会保险/养老待遇", "企业职工和城乡居民养老保险待遇领取人员的月基本养老金和待遇状态。",
       "id_number* name! retirement_date:退休日期:D monthly_pension:月基本养老金:Y=1500..9000 status:待遇状态:C10=正常发放|正常发放|暂停发放|终止",
       cond="仅限社会救助家庭经济状况核对和待遇领取资格认证使用", methods="api,batch", ages=(55, 100), welfare=True, rows=500)
    _E(g, "劳动保障监察案件信息", "就业/劳动关系/劳动保障监察", "劳动保障监察立案查处的欠薪、未签劳动合同等案件。",
       "case_no:案件编号:C20*=#JC{y}{s6} uscc company_name case_type:案件类型:C20=拖欠工资|未签订劳动合同|未缴纳社会保险|超时加班 filing_date:立案日期:D! amount_involved:涉案金额:Y=5000..500000 result:处理结果:C20=已结案|责令整改|行政处罚|移送公安机关",
       cat="theme", open_="conditional", open_cond="仅公开已作出行政处罚决定的案件", m=False)
    _E(g, "人力资源服务机构名录", "就业/就业服务/人力资源服务机构", "经许可或备案的人力资源服务机构名录。",
       "inst_code:机构编号:C20*=#RL{rc}{s4} inst_name:机构名称:C100!=#{P}{T}人力资源{有限公司|服务有限公司} service_scope:服务范围:C30=职业介绍|人力资源外包|劳务派遣|人才测评 location:地址:C200 contact_phone permit_date:许可日期:D",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "招聘岗位信息", "就业/就业服务/招聘岗位", "用人单位在公共就业服务平台发布的招聘岗位。",
       "job_id:岗位编号:C20*=#GW{y}{s8} employer_name:招聘单位:C100=" + _COMPANY_TMPL + " job_title:岗位名称:C30=普工|船舶电焊工|水产品加工工|仓库管理员|外贸业务员|厨师|幼儿教师|护理员 salary_range:薪资范围:C20=4000-6000元|5000-8000元|6000-10000元|8000-12000元|面议 "
       "headcount:招聘人数:I=1..20 education_req:学历要求:C10=不限|高中|大专|本科 publish_date:发布日期:D!",
       share="unconditional", methods="api,file", open_="open", cycle="daily")
    _E(g, "技能提升补贴发放信息", "就业/职业能力/技能提升补贴", "取得职业技能等级证书的参保职工领取技能提升补贴的记录。",
       "record_no:发放编号:C20*=#BT{y}{s6} id_number! name! cert_level:证书等级:C10=初级工|中级工|高级工 amount:补贴金额:Y=1000..2000 pay_date:发放日期:D",
       cond="仅限就业补贴资金监管使用", m=False)

    # ---------------------------------------------------------------- 住房和城乡建设局
    g = "zjj"
    _E(g, "建筑业企业资质信息", "城乡建设/建筑市场/企业资质", "建筑业企业资质证书的资质类别、等级和有效期。",
       "cert_no:资质证书编号:C20*=#D3330{s6} uscc! company_name! qualification:资质类别及等级:C30=建筑工程施工总承包二级|市政公用工程施工总承包三级|港口与航道工程施工总承包一级|建筑装修装饰工程专业承包二级 issue_date:发证日期:D valid_until:有效期至:D",
       share="unconditional", open_="conditional", open_cond="公开证书编号、企业名称和资质等级")
    _E(g, "商品房预售许可信息", "城乡建设/房地产/商品房预售", "商品房预售许可证的项目、开发企业、预售面积和套数。",
       "permit_no:预售许可证号:C20*=#舟预许字({y})第{s4}号 project_name:项目名称:C50!=#{P}{T}{府|苑|花园|湾|公馆} developer:开发企业:C100=#舟山{T}房地产开发有限公司 location:坐落:C200 presale_area:预售面积（平方米）:N2=3000..80000 units:套数:I=30..600 issue_date:发证日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="weekly")
    _E(g, "房屋网签备案信息", "城乡建设/房地产/网签备案", "新建商品房和存量房买卖合同网签备案信息。",
       "contract_no:合同备案号:C24*=#WQ{rc}{y}{s6} buyer_id_number:买受人证件号码:C18!~id_number buyer_name:买受人:C50!~name location:房屋坐落:C200~address area_sqm:建筑面积（平方米）:N2=40..180 total_price:合同总价:Y=600000..4000000 sign_date:签约日期:D!",
       cond="仅限住房保障资格审核、住房公积金贷款审核使用", cycle="daily", m=False)
    _E(g, "公共租赁住房保障对象信息", "民生保障/住房保障/公共租赁住房", "公共租赁住房实物配租和租赁补贴保障对象信息。",
       "id_number* name! household_size:家庭人口数:I=1..5 address~address rent_subsidy:月租赁补贴:Y=200..1500 approval_date:审核通过日期:D status:保障状态:C10=在保|在保|退出",
       cat="theme", cond="仅限住房保障资格审核和社会救助家庭经济状况核对使用", welfare=True, rows=300)
    _E(g, "物业服务企业名录", "城乡建设/物业管理/物业服务企业", "在本市从事物业服务的企业及在管项目数。",
       "enterprise_code:企业编号:C20*=#WY{s5} enterprise_name:企业名称:C100!=#舟山{T}物业{管理有限公司|服务有限公司} location:地址:C200 contact_phone projects:在管项目数:I=1..40",
       share="unconditional", methods="api,file", open_="open", m=False)
    _E(g, "建设工程施工许可信息", "城乡建设/建筑市场/施工许可", "建筑工程施工许可证的工程名称、建设单位、施工单位和合同价格。",
       "permit_no:施工许可证编号:C20*=#{rc}{y}{s4}0101 project_name:工程名称:C100!=#{P}{T}{综合楼|安置房|小学|养老中心|码头改造}工程 builder:建设单位:C100=" + _COMPANY_TMPL + " contractor:施工单位:C100=#浙江{T}建设{有限公司|集团有限公司} contract_amount:合同价格（万元）:Y=100..50000 location:建设地址:C200 issue_date:发证日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="weekly")
    _E(g, "注册建造师信息", "城乡建设/建筑市场/注册人员", "在本市建筑业企业注册的建造师信息。",
       "reg_no:注册编号:C20*=#浙1{d2}{s7} id_number! name! uscc company_name level:级别:C4=一级|二级 specialty:注册专业:C20=建筑工程|市政公用工程|港口与航道工程|机电工程 valid_until:有效期至:D",
       share="unconditional", m=False)
    _E(g, "既有住宅加装电梯项目信息", "城乡建设/城市更新/加装电梯", "老旧小区既有住宅加装电梯项目的审批和建设进度。",
       "project_id:项目编号:C20*=#DT{y}{s4} community:小区名称:C50=#{T}{小区|苑|新村} building:楼幢:C10=#{1|2|3|5|6|7|8|9|10|12|15|16}幢 location:地址:C200 region_code approval_date:审批日期:D status:进度:C10=已审批|施工中|已投用",
       share="unconditional", methods="api,file", open_="open", m=False)
    _E(g, "燃气经营许可信息", "城乡建设/市政公用/燃气经营", "燃气经营许可证的经营类别和有效期。",
       "permit_no:许可证编号:C20*=#浙{y}0209{s4} uscc! company_name scope:经营类别:C20=管道燃气|瓶装液化石油气|车用燃气 issue_date:发证日期:D valid_until:有效期至:D region_code",
       share="unconditional", m=False)
    _E(g, "城镇房屋安全鉴定信息", "城乡建设/房屋安全/安全鉴定", "城镇房屋安全鉴定报告的鉴定等级。",
       "report_no:鉴定报告编号:C20*=#JD{y}{s5} location:房屋坐落:C200 building_year:建成年份:I=1960..2010 safety_level:鉴定等级:C4=A级|B级|C级|D级 appraisal_date:鉴定日期:D",
       status="withdrawn")

    # ---------------------------------------------------------------- 不动产登记中心
    g = "bdc"
    _D(g, "不动产权属信息", "自然资源/不动产/不动产权属", "全市不动产权属登记信息，用于住房保障和社会救助对象住房情况核查，替代人工逐户查询。", "real_estate_ownership",
       cond="仅限住房保障资格审核、社会救助家庭经济状况核对、住房公积金业务使用")
    _E(g, "不动产抵押登记信息", "自然资源/不动产/抵押登记", "不动产抵押权登记的抵押人、抵押权人和担保债权数额。",
       "cert_no:不动产登记证明号:C40*=#浙({y})舟山市不动产证明第{s7}号 obligor_id_number:抵押人证件号码:C18!~id_number obligor_name:抵押人:C50!~name mortgagee:抵押权人:C50=中国工商银行股份有限公司舟山分行|中国建设银行股份有限公司舟山分行|舟山市住房公积金管理中心|浙江舟山农村商业银行股份有限公司|中国农业银行股份有限公司舟山分行 "
       "amount:被担保主债权数额（万元）:Y=20..500 start_date:债务履行起始日期:D end_date:债务履行终止日期:D",
       cond="仅限住房公积金贷款审核和金融风险防控使用", cycle="daily")
    _E(g, "不动产查封登记信息", "自然资源/不动产/查封登记", "人民法院等机关对不动产实施查封的登记信息。",
       "seal_no:查封文号:C40*=#({y})浙09{d2}执{s4}号 owner_id_number:被查封人证件号码:C18!~id_number owner_name:被查封人:C50~name court:查封机关:C30=舟山市中级人民法院|舟山市定海区人民法院|舟山市普陀区人民法院|岱山县人民法院|嵊泗县人民法院 seal_date:查封日期:D valid_until:查封期限至:D",
       cond="仅限司法协助和信用监管使用", m=False)
    _E(g, "个人住房情况查询服务", "自然资源/不动产/住房情况查询", "按身份证号码查询名下住房套数的核验服务，替代纸质无房证明。",
       "query_id:查询编号:C20*=#CX{y}{s8} id_number! name! property_count:名下住房套数:I=0..3 query_date:查询日期:D purpose:查询用途:C20=住房公积金提取|公共租赁住房申请|人才购房补贴|子女入学",
       fmt="service_api", cond="仅限经本人授权的住房保障和住房公积金业务使用", cycle="realtime", m=False)
    _E(g, "不动产单元信息", "自然资源/不动产/不动产单元", "不动产单元号、坐落、用途和面积。",
       "unit_no:不动产单元号:C28*=#{rc}{d6}GB{s5}F{d8} location:坐落:C200 usage:用途:C10=住宅|商业|工业|办公 area_sqm:建筑面积（平方米）:N2=30..2000 land_area:分摊土地面积（平方米）:N2=5..300 region_code",
       share="unconditional", methods="api,batch", m=False)
    _E(g, "预告登记信息", "自然资源/不动产/预告登记", "预购商品房及其抵押权的预告登记信息。",
       "cert_no:预告登记证明号:C40*=#浙({y})舟山市不动产证明第{s7}号 obligee_id_number:权利人证件号码:C18!~id_number obligee_name:权利人:C50~name location:坐落:C200 notice_type:预告登记种类:C20=预购商品房|预购商品房抵押权 reg_date:登记日期:D",
       m=False)
    _E(g, "不动产登记机构名录", "自然资源/不动产/登记机构", "不动产登记机构和便民服务点的地址、电话和办公时间。",
       "office_code:机构编号:C10*=#BDC{s3} office_name:机构名称:C50!=#{P}不动产登记{服务中心|便民服务点|银行网点代办点} location:地址:C200 contact_phone service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)
    _E(g, "不动产登记业务统计", "自然资源/不动产/登记统计", "按月统计的不动产登记、转移登记和抵押登记业务量及平均办理时长。",
       "stat_month:统计月份:C6*=#{ym} registrations:登记量:I=800..3000 transfers:转移登记量:I=200..900 mortgages:抵押登记量:I=300..1200 avg_days:平均办理时长（工作日）:N1=0.5..5",
       share="unconditional", methods="api,file", open_="open", rows=36)

    # ---------------------------------------------------------------- 市场监督管理局
    g = "scjgj"
    _D(g, "法人基础信息", "法人/法人基础信息", "全市企业法人的统一社会信用代码、名称、法定代表人、注册资本、成立日期、住所和登记状态，是法人基础库的主要数据来源。", "legal_persons",
       cat="base", share="unconditional")
    _D(g, "营业执照信息", "法人/证照/营业执照", "企业营业执照的编号、发照日期、营业期限和经营范围，可替代营业执照复印件。", "business_licences",
       cat="base", share="unconditional")
    _E(g, "个体工商户登记信息", "法人/市场主体/个体工商户", "个体工商户的名称、经营者、经营场所和登记状态。",
       "uscc*=92 trader_name:个体工商户名称:C100!=#{P}{T}{海鲜排档|便利店|理发店|五金店|水果店|渔需用品店|小吃店} operator_id_number:经营者身份证号码:C18!~id_number operator_name:经营者姓名:C50!~name location:经营场所:C200 reg_date:注册日期:D status:登记状态:C4=存续|存续|存续|注销",
       share="unconditional", methods="api,batch", cycle="daily", rows=500)
    _E(g, "企业年度报告信息", "法人/市场主体/企业年报", "企业年度报告中的从业人数、营业收入、纳税总额和参保人数。",
       "report_id:年报编号:C20*=#NB{y}{s8} uscc! company_name report_year:报告年度:I=2020..2025 employees:从业人数:I=1..800 revenue:营业总收入（万元）:Y=10..80000 total_tax:纳税总额（万元）:Y=0..5000 social_insured:参保人数:I=0..800",
       open_="conditional", open_cond="按《企业信息公示暂行条例》公示的内容开放", cycle="yearly", m=False)
    _E(g, "食品经营许可信息", "市场监管/食品安全/食品经营许可", "食品经营许可证的经营者、经营场所、主体业态和有效期。",
       "permit_no:许可证编号:C20*=#JY{1|2|3}{rc}{s7} uscc! company_name location:经营场所:C200 category:主体业态:C20=食品销售经营者|餐饮服务经营者|单位食堂 issue_date:发证日期:D valid_until:有效期至:D",
       share="unconditional", open_="conditional", open_cond="公开许可证编号、经营者名称、主体业态和有效期")
    _E(g, "药品零售企业名录", "市场监管/药品安全/药品零售企业", "全市药店的名称、地址、营业时间和是否医保定点，方便群众就近购药。",
       "store_code:企业编号:C20*=#YD{rc}{s4} store_name:药店名称:C100!=#{P}{T}{大药房|药店|医药连锁店} location:地址:C200 contact_phone business_hours:营业时间:C20=08:00-21:00|07:30-22:00|24小时 medical_insurance:是否医保定点:L region_code longitude latitude",
       share="unconditional", methods="api,file", open_="open", stale=True)
    _E(g, "行政处罚信息", "信用/行政处罚/市场监管行政处罚", "市场监管部门作出的行政处罚决定。",
       "decision_no:处罚决定书文号:C40*=#舟市监处罚〔{y}〕{s4}号 uscc! party_name:当事人名称:C100 violation:违法行为类型:C30=销售不符合食品安全标准的食品|虚假宣传|未按规定公示年度报告|无照经营|计量器具未检定 penalty:处罚内容:C30=警告|罚款|没收违法所得|罚款并没收违法所得 penalty_amount:罚没金额（元）:Y=1000..200000 decision_date:处罚决定日期:D!",
       cat="theme", share="unconditional", open_="conditional", open_cond="按信用信息公示规定在公示期内开放", cycle="daily")
    _E(g, "经营异常名录信息", "信用/经营异常/经营异常名录", "被列入经营异常名录的企业及列入原因。",
       "record_id:记录编号:C20*=#YC{y}{s6} uscc! company_name reason:列入原因:C30=未按规定报送年度报告|通过登记的住所无法联系|公示信息隐瞒真实情况 list_date:列入日期:D decision_org:作出决定机关:C30=舟山市市场监督管理局|舟山市市场监督管理局定海分局|舟山市市场监督管理局普陀分局 removed:是否已移出:L",
       cat="theme", share="unconditional", open_="conditional", open_cond="按信用信息公示规定在公示期内开放")
    _E(g, "特种设备登记信息", "市场监管/特种设备/使用登记", "电梯、起重机械、锅炉、压力容器等特种设备的使用登记。",
       "device_code:设备代码:C20*=#{3|4|2}{rc}{y}{s5} device_type:设备种类:C20=电梯|起重机械|锅炉|压力容器|场（厂）内专用机动车辆 user_uscc:使用单位统一社会信用代码:C18~uscc user_name:使用单位:C100 location:设备使用地点:C200 next_inspection:下次检验日期:D status:设备状态:C10=在用|在用|停用|报废",
       cond="仅限安全生产监管和应急处置使用", m=False)
    _E(g, "计量器具强制检定信息", "市场监管/计量/强制检定", "加油机、电子计价秤、出租车计价器等强制检定计量器具的检定结果。",
       "cert_no:检定证书编号:C20*=#JL{y}{s7} instrument:计量器具名称:C20=加油机|电子计价秤|血压计|出租车计价器|地磅 user_name:使用单位:C100=" + _COMPANY_TMPL + " verify_date:检定日期:D result:检定结论:C10=合格|合格|合格|不合格 valid_until:有效期至:D",
       share="unconditional", m=False)
    _E(g, "12345和12315投诉举报信息", "市场监管/消费维权/投诉举报", "消费者通过12315等渠道提交的投诉举报。",
       "ticket_no:工单编号:C20*=#TS{y}{s8} complainant_name:投诉人:C50~name complainant_mobile:投诉人电话:C11~mobile target_name:被投诉对象:C100=" + _COMPANY_TMPL + " category:投诉类别:C20=食品安全|产品质量|预付卡消费|网购纠纷|虚假宣传 "
       "content:投诉内容:M=购买的冷冻带鱼变质，要求退款|预付卡门店关门无法退卡|网购商品与描述不符|广告宣传与实际不符 received_time:登记时间:T status:办理状态:C10=已受理|已办结|不予受理",
       cond="仅限消费维权和信用监管使用", cycle="daily", m=False)
    _E(g, "农民专业合作社登记信息", "法人/市场主体/农民专业合作社", "农民专业合作社的名称、成员数和登记日期。",
       "uscc*=93 coop_name:合作社名称:C100!=#{P}{T}{水产养殖|渔业|果蔬|茶叶}专业合作社 legal_representative_name members:成员数:I=5..200 reg_date:登记日期:D",
       share="unconditional", m=False)
    _E(g, "产品质量监督抽查信息", "市场监管/产品质量/监督抽查", "产品质量监督抽查的产品、生产企业和抽查结论。",
       "report_no:抽查报告编号:C20*=#CC{y}{s5} product:产品名称:C20=冷冻水产品|儿童玩具|电线电缆|电动自行车|救生衣|渔用绳索 producer:生产企业:C100=" + _COMPANY_TMPL + " result:抽查结论:C10=合格|合格|合格|不合格 check_date:抽查日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="quarterly")

    # ---------------------------------------------------------------- 卫生健康委员会
    g = "wjw"
    _D(g, "死亡医学证明信息", "人口/生命登记/死亡医学证明", "医疗卫生机构出具的居民死亡医学证明（推断）书信息，用于户籍注销和待遇停发。", "deaths",
       cond="仅限户籍注销、社会保险待遇停发、殡葬管理等业务使用")
    _E(g, "出生医学证明信息", "人口/生命登记/出生医学证明", "新生儿出生医学证明的出生时间、地点和父母信息，支撑“出生一件事”联办。",
       "cert_no:出生医学证明编号:C10*=#R{s9} baby_name:新生儿姓名:C50~name baby_gender:性别:C2=男|女 birth_time:出生时间:T! mother_id_number:母亲身份证号码:C18!~id_number mother_name:母亲姓名:C50!~name father_id_number:父亲身份证号码:C18~id_number father_name:父亲姓名:C50~name birth_institution:出生地点（机构）:C30=" + _HOSPITAL_POOL,
       cond="仅限户籍登记、预防接种、医疗保险参保等“出生一件事”业务使用", cycle="daily", ages=(22, 40))
    _E(g, "医疗机构执业登记信息", "医疗卫生/医疗机构/执业登记", "医疗机构的类别、等级、地址和核定床位。",
       "inst_code:登记号:C30*=#PDY{d5}{rc}{s4} inst_name:机构名称:C100!=#{P}{T}{诊所|社区卫生服务站|口腔门诊部|中医诊所} category:类别:C20=综合医院|中医医院|专科医院|社区卫生服务中心|诊所|门诊部 level:等级:C10=三级甲等|二级甲等|二级乙等|一级|未定级 location:地址:C200 contact_phone beds:核定床位:I=0..1200 valid_until:有效期至:D",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "医师执业注册信息", "医疗卫生/卫生人员/医师执业注册", "医师执业注册的执业机构、类别和范围。",
       "cert_no:执业证书编码:C20*=#1{d2}{rc}{s8} id_number! name! institution:执业机构:C30=" + _HOSPITAL_POOL + " category:执业类别:C10=临床|中医|口腔|公共卫生 scope:执业范围:C20=内科专业|外科专业|妇产科专业|儿科专业|全科医学专业|口腔专业 reg_date:注册日期:D",
       share="unconditional", ages=(25, 65))
    _E(g, "护士执业注册信息", "医疗卫生/卫生人员/护士执业注册", "护士执业注册的执业机构和有效期。",
       "cert_no:执业证书编号:C20*=#{y}{rc}{s6} id_number! name! institution:执业机构:C30=" + _HOSPITAL_POOL + " reg_date:注册日期:D valid_until:有效期至:D",
       share="unconditional", ages=(22, 60), status="draft")
    _E(g, "预防接种信息", "医疗卫生/疾病预防控制/预防接种", "儿童和成人的疫苗接种记录，支撑入托入学查验。",
       "record_id:接种记录编号:C20*=#JZ{y}{s8} id_number! name! vaccine:疫苗名称:C20=乙肝疫苗|脊灰灭活疫苗|百白破疫苗|麻腮风疫苗|乙脑减毒活疫苗|流感疫苗 dose:剂次:I=1..4 vaccination_date:接种日期:D! site:接种单位:C30=#{P}{T}社区卫生服务中心预防接种门诊",
       cond="仅限入托入学预防接种证查验使用", ages=(0, 14), cycle="daily", m=False)
    _E(g, "法定传染病疫情统计", "医疗卫生/疾病预防控制/传染病统计", "按月、分病种、分区县的法定传染病发病和死亡数。",
       "stat_id:统计编号:C20*=#CR{s6} stat_month:统计月份:C6=#{y}{01|02|03|04|05|06|07|08|09|10|11|12} disease:病种:C20=流行性感冒|手足口病|肺结核|梅毒|乙型肝炎|其他感染性腹泻病 cases:发病数:I=0..300 deaths_count:死亡数:I=0..1 region_code",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "居民电子健康档案", "医疗卫生/健康管理/电子健康档案", "居民电子健康档案含疾病史等敏感个人信息，依法不予共享，由本人授权查询。",
       "record_no:档案编号:C20*=#DA{rc}{s8} id_number! name! chronic_disease:慢性病情况:C30^c=无|高血压|糖尿病|冠心病 build_date:建档日期:D",
       share="none", cond="《中华人民共和国基本医疗卫生与健康法》第九十二条；《中华人民共和国个人信息保护法》第二十八条", m=False)
    _E(g, "家庭医生签约信息", "医疗卫生/健康管理/家庭医生签约", "居民与家庭医生团队签约的服务包和有效期。",
       "contract_no:签约编号:C20*=#QY{y}{s8} id_number! name! team:签约团队:C50=#{P}{T}社区卫生服务中心家庭医生团队 package:签约服务包:C10=基础包|高血压包|糖尿病包|老年人包|孕产妇包 sign_date:签约日期:D valid_until:有效期至:D",
       cond="仅限基本公共卫生服务和医保结算使用", m=False)
    _E(g, "健康体检机构名录", "医疗卫生/医疗机构/健康体检机构", "可开展健康体检的医疗机构名录。",
       "inst_code:机构编号:C20*=#TJ{rc}{s3} inst_name:机构名称:C50!=#{P}{T}健康体检中心 location:地址:C200 contact_phone capacity:日接待能力（人次）:I=50..500",
       share="unconditional", methods="api,file", open_="open", m=False, rows=20)
    _E(g, "院前急救站点信息", "医疗卫生/急救/急救站点", "120院前急救站点和救护车配置。",
       "station_code:站点编号:C10*=#JJ{s4} station_name:站点名称:C50!=#{P}{T}急救站 location:地址:C200 ambulances:救护车数:I=1..6 region_code longitude latitude",
       share="unconditional", methods="api,file", open_="open", rows=30)
    _E(g, "母婴保健技术服务执业许可信息", "医疗卫生/妇幼健康/母婴保健许可", "开展产前筛查、助产技术等母婴保健技术服务的机构许可。",
       "permit_no:许可证编号:C20*=#MY{y}{s4} inst_name:机构名称:C50=" + _HOSPITAL_POOL + " permitted_items:许可项目:C30=产前筛查|助产技术|结扎手术|终止妊娠手术 valid_until:有效期至:D",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", m=False)

    # ---------------------------------------------------------------- 教育局
    g = "jyj"
    _E(g, "学校名录", "教育/学校/中小学校", "全市中小学校的名称、学段、办学性质、地址和在校生数。",
       "school_code:学校标识码:C10*=#31{d2}{s6} school_name:学校名称:C50!=#{P}{T}{小学|中学|实验学校|初级中学} school_level:学段:C10=小学|初中|高中|九年一贯制|完全中学 nature:办学性质:C10=公办|公办|民办 location:地址:C200 contact_phone students:在校生数:I=120..3000 region_code longitude latitude",
       share="unconditional", methods="api,file", open_="open", cycle="yearly")
    _E(g, "中小学生学籍信息", "教育/学生/学籍", "中小学生的学籍号、就读学校、年级和入学日期。",
       "student_no:全国学籍号:C20*=#G{id} id_number! name! gender school_name:就读学校:C50=#{P}{T}{小学|中学|实验学校} grade:年级:C10=一年级|二年级|三年级|四年级|五年级|六年级|七年级|八年级|九年级 enroll_date:入学日期:D",
       cond="仅限义务教育入学、学生资助、医疗保险参保等业务使用", ages=(6, 15), rows=500)
    _E(g, "中等职业学校学历证书信息", "教育/学历/中职学历证书", "中等职业学校毕业证书的专业和毕业日期。",
       "cert_no:证书编号:C20*=#ZZ{y}{s8} id_number! name! school_name:学校名称:C30=舟山航海学校|舟山职业技术学校|岱山县职业技术学校|嵊泗县职业技术学校 major:专业:C20=船舶驾驶|轮机管理|水产养殖技术|电子商务|护理|旅游服务与管理 graduation_date:毕业日期:D",
       share="unconditional", ages=(18, 45), m=False)
    _E(g, "教师资格证书信息", "教育/教师/教师资格", "教师资格证书的资格种类和任教学科。",
       "cert_no:资格证书号码:C17*=#{y}33090{s8} id_number! name! qualification:资格种类:C20=幼儿园教师资格|小学教师资格|初级中学教师资格|高级中学教师资格|中等职业学校教师资格 subject:任教学科:C10=语文|数学|英语|物理|化学|体育|音乐|美术 issue_date:发证日期:D",
       share="unconditional", ages=(22, 60), m=False)
    _E(g, "学生资助信息", "教育/学生/学生资助", "学生获得国家助学金、免学费、营养改善等资助的记录。",
       "record_id:资助记录编号:C20*=#ZZ{y}{s8} id_number! name! school_name:就读学校:C50=#{P}{T}{小学|中学|实验学校} funding_type:资助项目:C20=国家助学金|免学费|营养改善计划|生活补助 amount:资助金额:Y=500..4000 school_year:资助学年:C9=2023-2024|2024-2025|2025-2026",
       cat="theme", cond="仅限学生资助对象认定和社会救助家庭经济状况核对使用", ages=(6, 20), welfare=True)
    _E(g, "幼儿园名录", "教育/学校/幼儿园", "全市幼儿园的名称、等级、办学性质、地址和核定学位数。",
       "kindergarten_code:幼儿园标识码:C10*=#31{d2}{s6} kindergarten_name:幼儿园名称:C50!=#{P}{T}幼儿园 nature:办学性质:C10=公办|民办 grade_level:等级:C10=省一级|省二级|省三级|准办 location:地址:C200 contact_phone capacity:核定学位数:I=90..540 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly")
    _E(g, "义务教育学区划分信息", "教育/招生/学区划分", "义务教育学校的学区范围。",
       "record_id:记录编号:C20*=#XQ{y}{s4} school_name:学校名称:C50=#{P}{T}{小学|初级中学} district_scope:学区范围:M=#{S}以{东|西|南|北}、{S}以{东|西|南|北}区域 year:年度:I=2024..2026",
       share="unconditional", methods="api,file", open_="open", cycle="yearly")
    _E(g, "校外培训机构名录", "教育/校外培训/培训机构", "经审批的校外培训机构名录。",
       "inst_code:机构编号:C20*=#PX{rc}{s4} inst_name:机构名称:C100!=#{P}{T}{艺术培训学校|体育培训中心|科技培训中心} category:类别:C10=非学科类|学科类 location:地址:C200 contact_phone permit_date:审批日期:D valid_until:有效期至:D",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "初中学业水平考试成绩信息", "教育/考试/中考成绩", "初中学业水平考试成绩属于未成年人个人信息，依法不予共享。",
       "exam_no:准考证号:C12*=#{y}{s8} id_number! name! total_score:总分:N1=300..680 exam_year:考试年度:I=2023..2026",
       share="none", cond="《中华人民共和国未成年人保护法》第七十二条", ages=(15, 17), m=False)
    _E(g, "校车使用许可信息", "教育/学校安全/校车", "校车使用许可的车辆、驾驶人和核载人数。",
       "permit_no:许可编号:C20*=#XC{y}{s4} school_name:学校名称:C50=#{P}{T}{小学|幼儿园} plate_no:车牌号:C10=#浙L{d5} driver_name:驾驶人:C50~name seats:核载人数:I=19..56 valid_until:有效期至:D",
       status="draft")

    # ---------------------------------------------------------------- 交通运输局
    g = "jtj"
    _E(g, "公共交通线路信息", "交通/公共交通/公交线路", "全市公交线路的起讫站、首末班时间、线路长度、站点数和票价。",
       "route_no:线路编号:C10*=#{i}路 route_name:线路名称:C50=#{S}—{S} start_stop:起点站:C30=#{T}{站|公交总站|客运中心} end_stop:终点站:C30=#{T}{站|公交总站|客运中心} first_bus:首班时间:C5=05:30|06:00|06:10|06:30 last_bus:末班时间:C5=18:00|19:30|20:30|21:00 "
       "length_km:线路长度（公里）:N1=4..45 stops:站点数:I=8..45 fare:票价（元）:Y=1|1|2|2|3|5 operator:运营单位:C30=舟山市公共交通有限公司|舟山市普陀公共交通有限公司|岱山县公共交通有限公司|嵊泗县公共交通有限公司 region_code",
       share="unconditional", methods="api,file", open_="open", rows=120)
    _E(g, "公交站点信息", "交通/公共交通/公交站点", "公交站点的名称和经纬度。",
       "station_id:站点编号:C12*=#ZS{s6} station_name:站点名称:C50!=#{S}{站|口|东站|西站} longitude latitude region_code shelter:是否有候车亭:L",
       share="unconditional", methods="api,file", open_="open", stale=True, rows=500)
    _E(g, "水路客运航线信息", "交通/水路运输/客运航线", "舟山本岛与各海岛及周边城市之间的水路客运航线、航行时长和日均班次。",
       "route_code:航线编号:C10* route_name:航线名称:C30! departure_port:始发港:C20! arrival_port:到达港:C20! duration_min:航行时长（分钟）:I! daily_sailings:日均班次:I operator:经营单位:C30",
       cat="theme", share="unconditional", methods="api,file", open_="open", fixed=_FERRY_ROWS)
    _E(g, "道路运输经营许可信息", "交通/道路运输/经营许可", "道路运输经营许可证的经营范围和有效期。",
       "permit_no:许可证号:C20*=#浙交运管许可舟字{s6}号 uscc! company_name scope:经营范围:C20=道路普通货物运输|道路旅客运输|危险货物运输|机动车维修 issue_date:发证日期:D valid_until:有效期至:D",
       share="unconditional", open_="conditional", open_cond="公开许可证号、业户名称和经营范围", m=False)
    _E(g, "道路运输从业人员资格信息", "交通/道路运输/从业资格", "道路运输驾驶员从业资格证信息。",
       "id_number* name! qualification:从业资格类别:C20=道路旅客运输驾驶员|道路货物运输驾驶员|危险货物运输驾驶员|出租汽车驾驶员 issue_date:初次领证日期:D valid_until:有效期至:D",
       cond="仅限道路运输从业资格管理和交通运输执法使用", ages=(21, 60))
    _E(g, "网络预约出租汽车驾驶员证信息", "交通/出租汽车/网约车驾驶员", "网约车驾驶员证的服务平台和有效期。",
       "cert_no:证号:C20*=#WY{y}{s6} id_number! name! platform:服务平台:C10=滴滴出行|曹操出行|T3出行|享道出行 issue_date:发证日期:D valid_until:有效期至:D",
       cond="仅限交通运输执法使用", ages=(21, 60), m=False)
    _E(g, "船舶营运证信息", "交通/水路运输/船舶营运证", "水路运输船舶营运证的船名、经营人、总吨和航区。",
       "cert_no:营运证号:C20*=#浙舟{d2}{s5} ship_name:船名:C30!=#{T}{海|洋|通|达}{n}轮 owner_uscc:经营人统一社会信用代码:C18~uscc owner_company:经营人:C100 tonnage:总吨:N0=100..30000 navigation_area:航区:C10=沿海|近海|内河 valid_until:有效期至:D",
       cat="theme", share="unconditional")
    _E(g, "港口经营许可信息", "交通/港口/港口经营许可", "港口经营许可的泊位数和经营货种。",
       "permit_no:许可证编号:C20*=#（浙舟）港经证（{s4}）号 uscc! company_name berths:泊位数:I=1..12 cargo:经营货种:C20=散货|集装箱|液体化工|油品|件杂货 valid_until:有效期至:D",
       cat="theme", share="unconditional", m=False)
    _E(g, "公路里程统计", "交通/公路/公路里程", "按年度、公路等级和区县统计的公路里程。",
       "stat_id:统计编号:C12*=#GL{s5} stat_year:统计年度:I=2015..2025 road_class:公路等级:C10=高速公路|一级公路|二级公路|三级公路|四级公路 mileage_km:里程（公里）:N1=5..900 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=40)
    _E(g, "交通运输行政处罚信息", "信用/行政处罚/交通运输行政处罚", "交通运输部门作出的行政处罚决定。",
       "decision_no:处罚决定书文号:C30*=#舟交执罚〔{y}〕{s4}号 party_name:当事人:C100=" + _COMPANY_TMPL + " violation:违法行为:C30=未取得道路运输经营许可|超限运输|船舶未按规定配员|擅自改装出租汽车 penalty_amount:罚款金额（元）:Y=500..50000 decision_date:处罚决定日期:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="按信用信息公示规定在公示期内开放", m=False)
    _E(g, "公共自行车站点信息", "交通/公共交通/公共自行车", "公共自行车站点的位置和车位数。",
       "station_id:站点编号:C10*=#ZX{s4} station_name:站点名称:C30!=#{S}{站|口} location:地址:C200 longitude latitude docks:车位数:I=10..40 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="daily", rows=120)

    # ---------------------------------------------------------------- 住房公积金管理中心
    g = "gjj"
    _E(g, "住房公积金缴存信息", "社会保障/住房公积金/缴存", "职工住房公积金账户的缴存单位、缴存基数、月缴存额和余额。",
       "account_no:个人公积金账号:C20*=#{s12} id_number! name! employer_uscc:缴存单位统一社会信用代码:C18~uscc employer_name:缴存单位:C100 deposit_base:缴存基数:Y=2500..38000 monthly_deposit:月缴存额:Y=300..9000 balance:账户余额:Y=1000..300000 status:账户状态:C10=正常|正常|封存|销户 open_date:开户日期:D",
       cond="仅限住房保障资格审核、个人所得税专项附加扣除核验和社会救助家庭经济状况核对使用", cycle="monthly", ages=(20, 60), rows=500)
    _E(g, "住房公积金提取信息", "社会保障/住房公积金/提取", "住房公积金提取的类型、金额和日期。",
       "extraction_id:提取编号:C20*=#TQ{y}{s8} id_number! name! extraction_type:提取类型:C20=购买自住住房|租赁住房|偿还购房贷款本息|离职提取|退休提取 amount:提取金额:Y=2000..200000 extraction_date:提取日期:D!",
       cond="仅限住房保障和社会救助家庭经济状况核对使用", cycle="daily")
    _E(g, "住房公积金个人贷款信息", "社会保障/住房公积金/个人贷款", "住房公积金个人住房贷款的金额、期限、利率和贷款状态。",
       "loan_no:贷款合同号:C20*=#DK{y}{s8} id_number! name! loan_amount:贷款金额（万元）:Y=10..120 term_months:贷款期限（月）:I=60..360 annual_rate:年利率（%）:N2=2.6..3.1 loan_date:放款日期:D status:贷款状态:C10=正常|正常|逾期|结清",
       cond="仅限住房保障资格审核和不动产抵押登记使用")
    _E(g, "住房公积金缴存单位信息", "社会保障/住房公积金/缴存单位", "住房公积金缴存单位的缴存人数和缴存比例。",
       "uscc* company_name deposit_employees:缴存人数:I=1..800 open_date:开户日期:D deposit_ratio:缴存比例（%）:N0=5..12 status:单位状态:C10=正常|正常|封存",
       share="unconditional", methods="api,batch", m=False)
    _E(g, "住房公积金年度报告数据", "社会保障/住房公积金/年度报告", "住房公积金年度报告的缴存额、提取额和贷款发放等主要指标。",
       "record_id:记录编号:C10*=#ND{s4} report_year:年度:I=2019..2025 indicator:指标名称:C30=缴存额（亿元）|提取额（亿元）|发放个人贷款（亿元）|实缴单位数（万个）|实缴职工人数（万人） value:数值:N2=1..80",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=35)
    _E(g, "公积金业务网点名录", "社会保障/住房公积金/业务网点", "住房公积金业务办理网点的地址、电话和办公时间。",
       "outlet_code:网点编号:C10*=#WD{s3} outlet_name:网点名称:C50!=#舟山市住房公积金管理中心{C}{分中心|服务网点} location:地址:C200 contact_phone service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)
    _E(g, "个人住房公积金缴存证明服务", "社会保障/住房公积金/缴存证明", "按需出具个人住房公积金缴存证明的接口服务。",
       "cert_no:证明编号:C20*=#ZM{y}{s8} id_number! name! employer_name:缴存单位:C100 months:连续缴存月数:I=1..240 issue_date:出具日期:D",
       fmt="service_api", cond="仅限经本人授权的贷款审批和人才认定业务使用", cycle="realtime", m=False)
    _E(g, "住房公积金贷款逾期信息", "信用/失信/公积金贷款逾期", "住房公积金贷款逾期的期数和金额。",
       "loan_no:贷款合同号:C20*=#DK{y}{s8} id_number! name! overdue_periods:逾期期数:I=1..12 overdue_amount:逾期金额:Y=500..50000 stat_date:统计日期:D",
       cat="theme", cond="仅限信用监管和联合惩戒使用", m=False)

    # ---------------------------------------------------------------- 税务局
    g = "swj"
    _E(g, "纳税人登记信息", "法人/税务/纳税人登记", "纳税人的纳税人类型、主管税务机关和纳税人状态。",
       "uscc* company_name! taxpayer_type:纳税人类型:C10=一般纳税人|小规模纳税人|小规模纳税人 reg_date:登记日期:D tax_authority:主管税务机关:C30=#国家税务总局{P}税务局 status:纳税人状态:C10=正常|正常|正常|非正常|注销",
       share="unconditional", methods="api,batch", cycle="daily", rows=500)
    _E(g, "纳税信用等级信息", "信用/纳税信用/纳税信用等级", "纳税信用评价年度和级别。",
       "uscc* company_name! eval_year:评价年度:I=2022..2025 credit_level:纳税信用级别:C2=A|B|B|M|C|D",
       cat="theme", share="unconditional", open_="conditional", open_cond="仅开放纳税信用A级纳税人名单", cycle="yearly")
    _E(g, "欠税公告信息", "信用/失信/欠税公告", "欠税纳税人的欠税税种和余额。",
       "record_id:记录编号:C20*=#QS{y}{s6} uscc! company_name tax_type:欠税税种:C20=增值税|企业所得税|城市维护建设税|房产税|城镇土地使用税 amount:欠税余额（元）:Y=1000..5000000 announce_date:公告日期:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="按欠税公告办法在公告期内开放", cycle="quarterly")
    _E(g, "重大税收违法失信主体信息", "信用/失信/重大税收违法", "重大税收违法失信主体的案件性质和涉案金额。",
       "record_id:记录编号:C20*=#WF{y}{s6} uscc! company_name legal_representative_name violation:案件性质:C20=虚开增值税专用发票|偷税|逃避追缴欠税|骗取出口退税 amount:涉案金额（元）:Y=100000..50000000 publish_date:公布日期:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="按规定在公布期内开放", m=False)
    _E(g, "个人所得税纳税记录", "财税/个人所得税/纳税记录", "个人所得税纳税记录属于纳税人涉税保密信息，依法不予共享，可由本人开具纳税记录。",
       "record_no:记录编号:C20*=#GS{y}{s8} id_number! name! tax_period:所属期:C6=#{ym} income:收入额:Y=3000..80000 tax_paid:已缴税额:Y=0..20000",
       share="none", cond="《中华人民共和国税收征收管理法》第八条", m=False)
    _E(g, "税收收入统计", "宏观经济/财税/税收收入", "按月、分税种统计的税收收入。",
       "stat_id:统计编号:C12*=#SS{s6} stat_month:统计月份:C6=#{y}{01|02|03|04|05|06|07|08|09|10|11|12} tax_type:税种:C20=增值税|企业所得税|个人所得税|契税|城市维护建设税|房产税|印花税 amount:收入金额（万元）:Y=500..80000",
       cat="base", share="unconditional", methods="api,file", open_="open")
    _E(g, "契税缴纳信息", "财税/财产行为税/契税", "不动产交易契税的完税信息，替代纸质完税证明。",
       "tax_no:完税凭证号:C20*=#{rc}{y}{s8} id_number! name! location:房屋坐落:C200~address tax_amount:契税金额（元）:Y=5000..150000 pay_date:缴纳日期:D!",
       cond="仅限不动产登记和住房公积金业务使用", cycle="daily")
    _E(g, "发票开具统计", "财税/发票/开票统计", "纳税人按月的发票开具份数和金额。",
       "uscc* company_name stat_month:所属期:C6=#{ym} invoice_count:开票份数:I=1..3000 amount:开票金额（万元）:Y=1..50000",
       status="withdrawn")
    _E(g, "办税服务厅名录", "财税/纳税服务/办税服务厅", "办税服务厅的地址、电话和办公时间。",
       "hall_code:服务厅编号:C10*=#BS{s3} hall_name:办税服务厅名称:C50!=#国家税务总局{P}税务局{办税服务厅|第一税务分局办税服务厅} location:地址:C200 contact_phone service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)
    _E(g, "社会保险费征收信息", "社会保障/社会保险/社保费征收", "税务部门征收社会保险费的单位、所属期和金额。",
       "record_id:记录编号:C20*=#SF{y}{s8} uscc! company_name fee_period:费款所属期:C6=#{ym} amount:征收金额（元）:Y=1000..2000000 pay_date:缴费日期:D",
       cond="仅限社会保险参保缴费核验使用", m=False)

    # ---------------------------------------------------------------- 自然资源和规划局
    g = "zrzyj"
    _E(g, "基础地理信息数据", "地理空间/基础测绘/基础地理信息", "全市1:500至1:10000基础地理信息数据的图幅、测绘年度和数据格式。",
       "tile_id:图幅编号:C20*=#H51G{s6} map_scale:比例尺:C10=1:500|1:2000|1:10000 survey_year:测绘年度:I=2018..2025 coverage_sqkm:覆盖面积（平方公里）:N2=0.25..50 data_format:数据格式:C10=DLG|DOM|DEM",
       cat="base", share="unconditional", methods="batch,file", open_="conditional", open_cond="经审图后提供公开版地图成果", cycle="yearly", fmt="image")
    _E(g, "标准地址信息", "地理空间/地址/标准地址", "全市标准地址的编码、地址、所属街道（乡镇）和经纬度，是地址匹配的基准。",
       "address_code:地址编码:C20*=#{rc}{s10} standard_address:标准地址:C200! region_code street:街道（乡镇）:C10=" + _TOWNS_ALL + " longitude latitude",
       cat="base", share="unconditional", methods="api,batch", rows=500)
    _E(g, "土地利用现状信息", "自然资源/国土调查/土地利用现状", "国土变更调查的图斑地类和面积。",
       "parcel_code:图斑编号:C20*=#{rc}{s8} land_class:地类:C10=耕地|园地|林地|城镇住宅用地|工业用地|交通运输用地|坑塘水面|沿海滩涂 area_ha:面积（公顷）:N4=0.01..120 region_code survey_year:调查年度:I=2020..2025",
       share="unconditional", methods="batch,file", cycle="yearly", m=False)
    _E(g, "国有建设用地使用权出让信息", "自然资源/土地市场/土地出让", "国有建设用地使用权出让的宗地、用途、成交价和受让人。",
       "contract_no:出让合同编号:C30*=#3309{d2}{y}B{s5} parcel_location:宗地坐落:C200=#{C}{S}{东侧|西侧|南侧|北侧}地块 area_sqm:面积（平方米）:N2=1000..200000 land_use:土地用途:C10=住宅用地|商服用地|工业用地|仓储用地 price:成交价（万元）:Y=100..200000 assignee:受让人:C100=" + _COMPANY_TMPL + " sign_date:签订日期:D",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "建设用地规划许可信息", "自然资源/规划许可/用地规划许可", "建设用地规划许可证的项目、建设单位和用地面积。",
       "permit_no:许可证编号:C30*=#地字第330900{y}{s5}号 project_name:项目名称:C100=#{P}{T}{综合楼|安置房|小学|养老中心|物流园}项目 builder:建设单位:C100=" + _COMPANY_TMPL + " location:用地位置:C200=#{C}{S}{东侧|西侧|南侧|北侧}地块 area_sqm:用地面积（平方米）:N2=1000..100000 issue_date:发证日期:D",
       share="unconditional", methods="api,file", open_="open", m=False)
    _E(g, "建设工程规划许可信息", "自然资源/规划许可/工程规划许可", "建设工程规划许可证的项目、建设单位和建设规模。",
       "permit_no:许可证编号:C30*=#建字第330900{y}{s5}号 project_name:项目名称:C100=#{P}{T}{综合楼|安置房|小学|养老中心|物流园}项目 builder:建设单位:C100=" + _COMPANY_TMPL + " location:建设位置:C200=#{C}{S}{东侧|西侧|南侧|北侧}地块 floor_area:建筑面积（平方米）:N2=500..200000 issue_date:发证日期:D",
       share="unconditional", methods="api,file", open_="open", m=False)
    _E(g, "海域使用权信息", "海洋/海域管理/海域使用权", "海域使用权证书的用海类型、面积、位置和期限。",
       "cert_no:海域使用权证书编号:C30*=#国海证{y}33090{s4}号 holder:海域使用权人:C100=" + _COMPANY_TMPL + " sea_use:用海类型:C20=渔业用海|工业用海|交通运输用海|旅游娱乐用海|海底工程用海 area_ha:用海面积（公顷）:N4=0.5..500 location:位置:C100=#{C}{T}{岛|湾|礁}附近海域 issue_date:登记日期:D valid_until:有效期至:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="公开证书编号、用海类型、面积和期限")
    _E(g, "地质灾害隐患点信息", "自然资源/地质环境/地质灾害隐患点", "地质灾害隐患点的类型、位置、威胁户数和人数，汛期前公布。",
       "point_id:隐患点编号:C20*=#DZ{rc}{s4} point_name:隐患点名称:C50!=#{S}{n}号隐患点 hazard_type:灾害类型:C10=滑坡|崩塌|泥石流|地面塌陷 threatened_households:威胁户数:I=1..60 threatened_people:威胁人数:I=2..200 hazard_level:险情等级:C4=小型|中型|大型 longitude latitude region_code",
       cat="theme", share="unconditional", methods="api,file", open_="open", cycle="quarterly")
    _E(g, "测绘资质单位名录", "自然资源/测绘地理信息/测绘资质", "测绘资质单位的资质等级和专业类别。",
       "cert_no:测绘资质证书编号:C20*=#乙测资字330{s5} org_name:单位名称:C100=#舟山{T}测绘{有限公司|技术有限公司} level:资质等级:C4=甲级|乙级 specialty:专业类别:C20=工程测量|不动产测绘|海洋测绘|地理信息系统工程 valid_until:有效期至:D",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=24)
    _E(g, "永久基本农田保护信息", "自然资源/耕地保护/永久基本农田", "永久基本农田保护图斑的面积、质量等别和保护责任人。",
       "block_code:保护图斑编号:C20*=#JB{rc}{s6} region_code area_ha:面积（公顷）:N4=0.1..50 quality_grade:耕地质量等别:I=5..12 protection_responsible:保护责任人:C50~name",
       status="draft")
    _E(g, "海岛名录", "海洋/海岛/海岛名录", "全市海岛的名称、面积、有无居民和位置。",
       "island_code:海岛代码:C12*=#HD{s6} island_name:海岛名称:C30!=#{T}{岛|山|礁} area_sqkm:面积（平方公里）:N4=0.001..5 inhabited:是否有居民:L region_code longitude latitude",
       cat="theme", share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=300)

    # ---------------------------------------------------------------- 医疗保障局
    g = "ybj"
    _E(g, "基本医疗保险参保信息", "社会保障/医疗保障/医保参保", "职工医保和城乡居民医保的参保类型、参保日期和参保状态。",
       "id_number* name! insurance_type:参保类型:C20=职工基本医疗保险|城乡居民基本医疗保险 start_date:参保日期:D status:参保状态:C10=参保缴费|参保缴费|暂停|终止 region_code",
       cond="仅限参保资格核验、社会救助和待遇核定使用", methods="api,batch", cycle="daily", rows=500, ages=(0, 100))
    _E(g, "医疗费用结算信息", "社会保障/医疗保障/医疗费用结算", "参保人员在定点医疗机构的费用结算信息。",
       "settlement_no:结算编号:C24*=#JS{y}{s10} id_number! name! institution:定点医疗机构:C30=" + _HOSPITAL_POOL + " visit_type:就诊类型:C10=门诊|住院|门诊慢特病 total_amount:医疗总费用:Y=50..200000 fund_amount:统筹基金支付:Y=20..150000 settle_date:结算日期:D!",
       cond="仅限医疗救助和因病致贫返贫监测使用", cycle="daily")
    _E(g, "定点医药机构名录", "社会保障/医疗保障/定点医药机构", "医保定点医疗机构和零售药店名录。",
       "inst_code:定点机构编码:C20*=#H33090{s6} inst_name:机构名称:C100!=#{P}{T}{大药房|诊所|社区卫生服务站|医院} inst_type:机构类型:C10=医疗机构|零售药店 location:地址:C200 contact_phone region_code",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "医保药品目录", "社会保障/医疗保障/药品目录", "基本医疗保险药品目录的药品编码、通用名、剂型、甲乙类和医保支付标准。",
       "drug_code:药品编码:C20*=#XA{s8} generic_name:通用名:C30!=阿莫西林胶囊|二甲双胍片|硝苯地平控释片|阿托伐他汀钙片|奥美拉唑肠溶胶囊|头孢克洛缓释片|布洛芬缓释胶囊|蒙脱石散|氯雷他定片|连花清瘟胶囊 dosage_form:剂型:C10=片剂|胶囊剂|颗粒剂|注射剂 drug_class:甲乙类:C2=甲|乙 payment_limit:医保支付标准（元）:Y=0.5..300",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", stale=True, rows=400)
    _E(g, "门诊慢特病认定信息", "社会保障/医疗保障/门诊慢特病", "门诊慢性病、特殊病认定的病种和有效期。",
       "record_id:认定编号:C20*=#MT{y}{s6} id_number! name! disease:病种:C20^c=高血压病|糖尿病|慢性阻塞性肺疾病|恶性肿瘤门诊治疗|尿毒症透析 approval_date:认定日期:D valid_until:有效期至:D",
       cond="仅限医保待遇核定使用", m=False)
    _E(g, "医疗救助信息", "民生保障/社会救助/医疗救助", "困难群众获得医疗救助的类型和金额。",
       "id_number* name! aid_type:救助类型:C20=资助参保|门诊救助|住院救助|重特大疾病救助 amount:救助金额:Y=100..50000 aid_date:救助日期:D region_code",
       cat="theme", cond="仅限社会救助家庭经济状况核对使用", welfare=True)
    _E(g, "长期护理保险待遇信息", "社会保障/医疗保障/长期护理保险", "失能人员长期护理保险的失能等级、服务形式和月待遇标准。",
       "id_number* name! care_level:失能等级:C10=重度失能一级|重度失能二级|重度失能三级 service_type:服务形式:C10=机构护理|居家护理 monthly_amount:月待遇标准:Y=900..1800 start_date:享受起始日期:D",
       cond="仅限待遇资格认证和死亡人员待遇停发比对使用", ages=(60, 100), welfare=True)
    _E(g, "医保基金收支统计", "社会保障/医疗保障/基金收支", "医保基金按月收支和参保人数。",
       "stat_month:统计月份:C6*=#{ym} fund_income:基金收入（万元）:Y=8000..20000 fund_expense:基金支出（万元）:Y=7000..19000 insured_total:参保人数（万人）:N2=110..120",
       share="unconditional", methods="api,file", open_="open", rows=36)
    _E(g, "异地就医备案信息", "社会保障/医疗保障/异地就医", "参保人员异地就医备案的就医地和有效期。",
       "record_no:备案编号:C20*=#YD{y}{s8} id_number! name! destination:就医地:C20=上海市|杭州市|宁波市|北京市|海南省三亚市 filing_type:备案类型:C20=异地长期居住|临时外出就医|异地转诊 start_date:备案开始日期:D valid_until:有效期至:D",
       m=False)
    _E(g, "医保经办服务网点名录", "社会保障/医疗保障/经办网点", "医保经办服务网点的地址、电话和办公时间。",
       "outlet_code:网点编号:C10*=#YB{s3} outlet_name:网点名称:C50!=#{P}医疗保障{服务中心|便民服务点} location:地址:C200 contact_phone service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20, m=False)

    # ---------------------------------------------------------------- 残疾人联合会
    g = "cl"
    _E(g, "残疾人基本信息", "人口/特殊人群/残疾人", "持证残疾人的残疾类别、残疾等级和发证日期，可替代残疾人证复印件。",
       "cert_no:残疾人证号:C20*=#{id}{1|2|3|4|5|6|7}{1|2|3|4} id_number! name! gender disability_type:残疾类别:C10=视力残疾|听力残疾|言语残疾|肢体残疾|智力残疾|精神残疾|多重残疾 disability_level:残疾等级:C4=一级|二级|三级|四级 issue_date:发证日期:D address~address region_code",
       cond="仅限残疾人补贴、就业、教育、康复等服务核验使用", methods="api,batch", rows=500, ages=(5, 95))
    _E(g, "残疾人就业信息", "就业/特殊人群就业/残疾人就业", "残疾人就业的就业形式和用人单位。",
       "id_number* name! employer_name:用人单位:C100=" + _COMPANY_TMPL + " employment_type:就业形式:C20=按比例就业|集中就业|个体就业|公益性岗位|辅助性就业 start_date:就业日期:D",
       cond="仅限残疾人就业保障金征收和就业帮扶使用", ages=(18, 59))
    _E(g, "残疾人康复服务信息", "民生保障/残疾人服务/康复服务", "残疾人接受康复服务的项目和服务机构。",
       "record_id:服务记录编号:C20*=#KF{y}{s6} id_number! name! service:康复服务项目:C20=肢体康复训练|辅助器具适配|听力语言康复|精神康复|孤独症儿童康复 institution:服务机构:C30=舟山市残疾人康复中心|定海区残疾人康复中心|普陀区残疾人康复中心 service_date:服务日期:D",
       m=False)
    _E(g, "残疾人辅助器具适配信息", "民生保障/残疾人服务/辅助器具", "残疾人辅助器具适配记录。",
       "record_id:适配记录编号:C20*=#FJ{y}{s6} id_number! name! device:辅具名称:C10=轮椅|助听器|假肢|盲杖|助行器 fit_date:适配日期:D",
       m=False)
    _E(g, "残疾人托养服务机构名录", "民生保障/残疾人服务/托养机构", "残疾人托养服务机构的床位和联系方式。",
       "inst_code:机构编号:C10*=#TY{s4} inst_name:机构名称:C50!=#{P}{T}{残疾人托养中心|康园工疗站} location:地址:C200 beds:床位数:I=10..120 contact_phone",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=24, m=False)
    _E(g, "无障碍设施信息", "城乡建设/无障碍环境/无障碍设施", "公共场所无障碍设施的类型和位置。",
       "facility_id:设施编号:C12*=#WZA{s6} facility_type:设施类型:C20=无障碍坡道|无障碍卫生间|盲道|无障碍停车位|无障碍电梯 location:地址:C200 longitude latitude region_code",
       share="unconditional", methods="api,file", open_="open")
    _E(g, "残疾人证核验服务", "人口/特殊人群/残疾人证核验", "按残疾人证号和身份证号核验残疾人证是否有效的接口服务。",
       "cert_no:残疾人证号:C20*=#{id}{1|2|3|4|5|6|7}{1|2|3|4} id_number! valid:是否有效:L!",
       fmt="service_api", share="unconditional", cycle="realtime", m=False)

    # ---------------------------------------------------------------- 大数据发展管理局
    g = "dsj"
    _E(g, "政务服务事项目录", "政务服务/事项管理/政务服务事项", "全市政务服务事项的事项编码、名称、实施部门、事项类型和办结时限。",
       "item_code:事项编码:C20*=#330900{d2}{s6} item_name:事项名称:C50!=" + _SERVICE_ITEMS + " department:实施部门:C30=" + _DEPT_POOL + " item_type:事项类型:C20=行政许可|行政确认|行政给付|公共服务|其他行政权力 "
       "legal_limit:法定办结时限（工作日）:I=1..60 promised_limit:承诺办结时限（工作日）:I=0..20 online:是否可网办:L",
       share="unconditional", methods="api,file", open_="open", cycle="weekly", rows=120)
    _E(g, "电子证照目录", "政务服务/电子证照/证照目录", "全市电子证照的证照类型、发证部门和存量证照数。",
       "licence_type_code:证照类型代码:C20*=#1133{s6} licence_name:证照名称:C30!=居民身份证|结婚证|离婚证|营业执照|不动产权证书|机动车驾驶证|残疾人证|出生医学证明|食品经营许可证|道路运输从业资格证 issuer_dept:发证部门:C30=" + _DEPT_POOL + " issued_count:存量证照数:I=100..500000",
       cat="base", share="unconditional", cycle="weekly", rows=30)
    _E(g, "一网通办办件信息", "政务服务/办件管理/办件信息", "“一窗受理”平台受理的办件的事项、申请人、受理时间和办件状态。",
       "case_no:办件编号:C24*=#{rc}{y}{s10} item_name:事项名称:C50=" + _SERVICE_ITEMS + " applicant_id_number:申请人证件号码:C18!~id_number applicant_name:申请人:C50!~name accept_time:受理时间:T! status:办件状态:C10=已受理|办理中|已办结|已办结|不予受理",
       cond="仅限办件跟踪和绩效评价使用", cycle="realtime", rows=500)
    _E(g, "政务服务好差评信息", "政务服务/评价/好差评", "办事群众对政务服务的评价等级和评价渠道。",
       "eval_id:评价编号:C20*=#PJ{y}{s8} item_name:事项名称:C50=" + _SERVICE_ITEMS + " rating:评价等级:C10=非常满意|非常满意|满意|基本满意|不满意 channel:评价渠道:C10=窗口|浙里办|自助终端|12345 eval_time:评价时间:T dept_name:被评价部门:C30=" + _DEPT_POOL,
       share="unconditional", cycle="daily", m=False)
    _E(g, "12345热线工单信息", "政务服务/热线/12345工单", "12345政务服务便民热线的工单、诉求类别和办理状态。",
       "ticket_no:工单编号:C20*=#RX{y}{s8} caller_mobile:来电号码:C11~mobile category:诉求类别:C10=城市管理|交通出行|住房保障|社会保障|市场监管|环境保护|海洋渔业 content:诉求内容:M=小区门口道路积水严重|反映公交班次太少|咨询公积金提取手续|投诉夜间施工噪声扰民|反映渔港停泊秩序混乱 receive_time:受理时间:T handling_dept:承办部门:C30=" + _DEPT_POOL + " status:办理状态:C10=已办结|已办结|办理中|已退回",
       cond="仅限诉求办理和绩效评价使用", cycle="daily", stale=True)
    _E(g, "公共数据开放统计", "政务服务/数据开放/开放统计", "公共数据开放平台按月的开放数据集数、接口调用次数和下载次数。",
       "stat_month:统计月份:C6*=#{ym} datasets_open:开放数据集数:I=300..600 api_calls:接口调用次数:I=10000..500000 downloads:下载次数:I=500..20000",
       share="unconditional", methods="api,file", open_="open", rows=24)
    _E(g, "公共信用综合评价信息", "信用/综合评价/公共信用评价", "企业公共信用综合评价的评分和等级。",
       "uscc* company_name! credit_score:公共信用评分:N1=500..1000 credit_grade:信用等级:C10=优|良|良|中|差 eval_date:评价日期:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="经申请并签订数据开放利用协议后开放", methods="api,batch", rows=500)
    _E(g, "物联感知设备信息", "城市运行/物联感知/感知设备", "城市大脑接入的视频监控、水位、气象和船舶AIS等物联感知设备。",
       "device_id:设备编号:C20*=#IOT{rc}{s6} device_type:设备类型:C10=视频监控|水位监测|气象监测|船舶AIS基站|噪声监测 location:安装地址:C200 longitude latitude online:是否在线:L install_date:安装日期:D region_code",
       cond="仅限城市运行监测和应急处置使用", m=False)
    _E(g, "数据共享调用统计", "政务服务/数据共享/调用统计", "各部门调用共享数据的次数。",
       "stat_id:统计编号:C12*=#DY{s6} consumer_dept:调用部门:C30=" + _DEPT_POOL + " stat_month:统计月份:C6=#{ym} calls:调用次数:I=100..200000",
       share="unconditional", status="draft")
    _E(g, "政务服务中心窗口信息", "政务服务/服务大厅/窗口", "各级行政服务中心的窗口和受理业务。",
       "window_id:窗口编号:C10*=#CK{s4} hall:服务大厅:C30=舟山市行政服务中心|舟山市定海区行政服务中心|舟山市普陀区行政服务中心|岱山县行政服务中心|嵊泗县行政服务中心 window_no:窗口号:C10=#{n}号窗口 business:受理业务:C50=综合受理|不动产登记|企业开办|社保医保|公积金|出入境|交通运输",
       share="unconditional", methods="api,file", open_="open", cycle="quarterly", m=False)
    # Open data (数据开放): the service outlets, mounted and open to the public.
    _E(g, "政务服务网点信息", "政务服务/服务大厅/服务网点", "各级政务服务中心、便民服务中心的地址、办公时间和咨询电话。",
       "outlet_code:网点编号:C10*=#WD{s4} outlet_name:网点名称:C50!=#{P}{T}{便民服务中心|行政服务中心|政务服务驿站} location:地址:C200 service_hours:办公时间:C30=工作日8:30-12:00、13:30-17:00|工作日8:30-17:00（中午不休）|周一至周六8:30-17:00 contact_phone longitude latitude region_code",
       share="unconditional", methods="api,file", open_="open", cycle="monthly", rows=60)

    # ---------------------------------------------------------------- 司法局
    g = "sfj"
    _E(g, "律师执业信息", "法治/法律服务/律师", "律师的执业证号、执业机构、执业类别和执业状态。",
       "licence_no:执业证号:C17*=#13309{y}{1|2}{s6} lawyer_name:律师姓名:C50!~name firm_name:执业机构:C50=#浙江{T}律师事务所 practice_type:执业类别:C10=专职律师|兼职律师|公职律师|公司律师 first_licensed:首次执业日期:D status:执业状态:C10=正常|正常|正常|暂停执业",
       share="unconditional")
    _E(g, "律师事务所名录", "法治/法律服务/律师事务所", "律师事务所的地址、电话和执业律师人数。",
       "firm_id:机构编号:C10*=#LS{s4} firm_name:律师事务所名称:C50!=#浙江{T}律师事务所 location:地址:C200 contact_phone lawyers:执业律师人数:I=3..80",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=40)
    _E(g, "公证机构名录", "法治/法律服务/公证机构", "公证机构的地址、电话和公证员人数。",
       "inst_id:机构编号:C10*=#GZ{s3} inst_name:公证机构名称:C50!=#浙江省{舟山市|舟山市定海区|舟山市普陀区|岱山县|嵊泗县}{T}公证处 location:地址:C200 contact_phone notaries:公证员人数:I=3..20",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)
    _E(g, "公证书信息", "法治/法律服务/公证书", "公证机构出具的公证书，支撑出生、学历等公证材料免提交。",
       "cert_no:公证书编号:C30*=#({y})浙舟{定|普|岱|嵊}证字第{s4}号 party_id_number:当事人证件号码:C18!~id_number party_name:当事人:C50!~name matter:公证事项:C20=学历公证|出生公证|无犯罪记录公证|继承公证|委托公证|婚姻状况公证 issue_date:出具日期:D",
       cond="仅限经当事人授权的政务服务事项使用", m=False)
    _E(g, "人民调解案件信息", "法治/人民调解/调解案件", "人民调解组织受理的纠纷类型和调解结果。",
       "case_no:案件编号:C20*=#TJ{rc}{y}{s5} dispute_type:纠纷类型:C20=婚姻家庭纠纷|邻里纠纷|渔事纠纷|劳动争议|物业纠纷|交通事故纠纷 committee:调解组织:C50=#{P}{T}{社区|村}人民调解委员会 accept_date:受理日期:D result:调解结果:C10=调解成功|调解成功|调解不成功 region_code",
       share="unconditional")
    _E(g, "社区矫正对象信息", "法治/社区矫正/矫正对象", "社区矫正对象信息依法保密，不予共享。",
       "record_no:档案编号:C20*=#JZ{rc}{s6} id_number! name! correction_type:矫正类别:C10^c=缓刑|假释|管制|暂予监外执行 start_date:矫正起始日期:D end_date:矫正终止日期:D",
       share="none", cond="《中华人民共和国社区矫正法》第四条", m=False)
    _E(g, "法律援助案件信息", "法治/法律援助/援助案件", "法律援助机构受理的案件类型和承办机构。",
       "case_no:案件编号:C20*=#FY{y}{s6} applicant_id_number:受援人证件号码:C18!~id_number applicant_name:受援人:C50!~name case_type:案件类型:C20=劳动报酬|工伤赔偿|婚姻家庭|交通事故|刑事辩护 accept_date:受理日期:D aid_org:承办机构:C30=舟山市法律援助中心|定海区法律援助中心|普陀区法律援助中心|岱山县法律援助中心|嵊泗县法律援助中心",
       cond="仅限法律援助经济困难标准核查使用")
    _E(g, "司法鉴定机构名录", "法治/法律服务/司法鉴定机构", "司法鉴定机构的鉴定业务和联系方式。",
       "inst_id:机构编号:C10*=#SJ{s3} inst_name:机构名称:C50!=#舟山{T}司法鉴定所 categories:鉴定业务:C20=法医临床鉴定|法医病理鉴定|文书鉴定|痕迹鉴定|声像资料鉴定 location:地址:C200 contact_phone",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20, m=False)
    _E(g, "基层法律服务所名录", "法治/法律服务/基层法律服务所", "基层法律服务所的地址和联系方式。",
       "inst_id:机构编号:C10*=#JC{s3} inst_name:机构名称:C50!=#{P}{T}法律服务所 location:地址:C200 contact_phone workers:法律服务工作者人数:I=2..12",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20)

    # ---------------------------------------------------------------- 财政局
    g = "czj"
    _E(g, "一般公共预算收支", "宏观经济/财政/预算收支", "全市按月的一般公共预算收入、支出和税收收入。",
       "stat_month:统计月份:C6*=#{ym} revenue:一般公共预算收入（万元）:Y=150000..400000 expenditure:一般公共预算支出（万元）:Y=200000..500000 tax_revenue:税收收入（万元）:Y=100000..300000",
       cat="base", share="unconditional", methods="api,file", open_="open", rows=48)
    _E(g, "政府采购项目信息", "财政/政府采购/采购项目", "政府采购项目的采购单位、预算金额和采购方式。",
       "project_no:采购项目编号:C20*=#ZSCG-{y}-{s5} project_name:项目名称:C100!=#{P}{政务云服务|办公设备采购|道路养护|校舍维修|海域监测服务|渔船安全设备}项目 purchaser:采购单位:C30=" + _DEPT_POOL + " budget:预算金额（万元）:Y=10..5000 method:采购方式:C10=公开招标|竞争性磋商|询价|单一来源 publish_date:公告日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="daily")
    _E(g, "政府采购中标信息", "财政/政府采购/中标结果", "政府采购项目的中标供应商和中标金额。",
       "project_no:采购项目编号:C20*=#ZSCG-{y}-{s5} winner_uscc:中标供应商统一社会信用代码:C18~uscc winner_name:中标供应商:C100 amount:中标金额（万元）:Y=10..5000 award_date:中标日期:D",
       share="unconditional", open_="conditional", open_cond="按政府采购信息公告规定开放", m=False)
    _E(g, "惠民惠农财政补贴资金发放信息", "民生保障/补贴发放/一卡通", "通过“一卡通”发放的惠民惠农财政补贴资金记录。",
       "record_id:发放记录编号:C20*=#YKT{y}{s8} id_number! name! bank_card_no subsidy_type:补贴项目:C20=耕地地力保护补贴|渔业油价补贴|高龄津贴|困难残疾人生活补贴|城乡居民基础养老金 amount:发放金额:Y=50..5000 pay_date:发放日期:D! region_code",
       cat="theme", cond="仅限补贴资金监管和社会救助家庭经济状况核对使用", methods="api,batch", welfare=True, rows=500)
    _E(g, "非税收入缴款信息", "财政/非税收入/缴款", "非税收入的缴款项目和金额。",
       "payment_no:缴款书编号:C20*=#FS{y}{s10} payer_name:缴款人:C100=" + _COMPANY_TMPL + " fee_item:收费项目:C20=不动产登记费|机动车驾驶许可考试费|土地出让收入|罚没收入|海域使用金 amount:缴款金额（元）:Y=10..500000 pay_date:缴款日期:D",
       m=False)
    _E(g, "行政事业单位国有资产信息", "财政/资产管理/国有资产", "行政事业单位国有资产的类别、原值和取得日期。",
       "asset_code:资产编号:C20*=#ZC{s10} dept_name:单位名称:C30=" + _DEPT_POOL + " asset_category:资产类别:C20=房屋及构筑物|车辆|通用设备|专用设备|无形资产 original_value:原值（万元）:Y=1..5000 acquire_date:取得日期:D",
       m=False)
    _E(g, "财政专项资金分配信息", "财政/专项资金/资金分配", "财政专项资金的分配对象和金额。",
       "record_id:记录编号:C20*=#ZX{y}{s6} fund_name:专项资金名称:C30=海洋经济发展专项资金|渔业发展补助资金|乡村振兴专项资金|教育发展专项资金|中小企业发展专项资金 recipient:分配对象:C100=" + _COMPANY_TMPL + " amount:分配金额（万元）:Y=5..3000 allocation_date:下达日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="quarterly")
    _E(g, "政府债务信息", "财政/政府债务/债券", "政府债券的类型、金额、发行和到期日期。",
       "debt_id:债券编号:C20*=#ZQ{y}{s4} debt_type:债务类型:C10=一般债券|专项债券 amount:金额（亿元）:Y=1..50 issue_date:发行日期:D maturity_date:到期日期:D",
       cond="仅限财政和审计部门履行职责使用", status="draft")

    # ---------------------------------------------------------------- 生态环境局
    g = "sthjj"
    _E(g, "环境空气质量监测信息", "生态环境/环境质量/空气质量", "国控、省控空气质量自动监测站点的小时监测数据。",
       "record_id:记录编号:C20*=#KQ{s10} station:监测站点:C20=临城|定海檀枫|普陀东港|岱山高亭|嵊泗菜园 monitor_time:监测时间:T! aqi:空气质量指数:I=15..160 pm25:PM2.5浓度（μg/m³）:F=3..110 pm10:PM10浓度（μg/m³）:F=8..160 o3:臭氧浓度（μg/m³）:F=20..220 aqi_level:空气质量级别:C10=优|优|良|轻度污染",
       share="unconditional", methods="api,file", open_="open", cycle="realtime", stale=True, rows=500)
    _E(g, "空气质量日报", "生态环境/环境质量/空气质量日报", "各空气质量自动监测站点按日发布的空气质量指数、首要污染物和级别。",
       "report_id:日报编号:C20*=#RB{s8} station:监测站点:C20=临城|定海檀枫|普陀东港|岱山高亭|嵊泗菜园 report_date:日期:D! aqi:空气质量指数:I=15..160 primary_pollutant:首要污染物:C10=无|PM2.5|PM10|臭氧|二氧化氮 aqi_level:空气质量级别:C10=优|优|良|轻度污染",
       share="unconditional", methods="api,file", open_="open", cycle="daily", rows=300)
    _E(g, "近岸海域水质监测信息", "生态环境/环境质量/近岸海域水质", "近岸海域水质监测点位的水质类别、无机氮和活性磷酸盐。",
       "record_id:记录编号:C20*=#HY{s8} site:监测点位:C10=#ZJ{d4} sea_area:海域:C20=舟山渔场|岱衢洋|嵊泗列岛海域|六横海域|普陀山海域 sample_date:采样日期:D water_class:水质类别:C10=一类|二类|三类|四类|劣四类 din:无机氮（mg/L）:F=0.1..1.2 phosphate:活性磷酸盐（mg/L）:F=0.005..0.08",
       cat="theme", share="unconditional", methods="api,file", open_="open")
    _E(g, "排污许可信息", "生态环境/污染源/排污许可", "排污许可证的行业类别、管理类别和有效期。",
       "permit_no:许可证编号:C24*=#{rc}{y}{s8}001P uscc! company_name industry:行业类别:C20=水产品冷冻加工|船舶修理|石油化工|火力发电|污水处理 management:管理类别:C10=重点管理|简化管理|登记管理 issue_date:发证日期:D valid_until:有效期至:D",
       share="unconditional", open_="conditional", open_cond="公开许可证编号、单位名称、行业类别和有效期")
    _E(g, "建设项目环评审批信息", "生态环境/环境影响评价/环评审批", "建设项目环境影响评价文件的审批结果。",
       "approval_no:批复文号:C30*=#舟环建审〔{y}〕{s3}号 project_name:项目名称:C100!=#{P}{T}{码头|冷链物流|船舶修造|水产品加工|石化仓储}项目 builder_name:建设单位:C100=" + _COMPANY_TMPL + " location:建设地点:C200 approval_date:审批日期:D result:审批结果:C10=批准|批准|批准|不予批准",
       share="unconditional", methods="api,file", open_="open", cycle="weekly")
    _E(g, "重点排污单位名录", "生态环境/污染源/重点排污单位", "重点排污单位的类别和年度。",
       "record_id:记录编号:C20*=#ZD{y}{s5} uscc! company_name category:类别:C10=水环境|大气环境|土壤环境|声环境 list_year:年度:I=2023..2026",
       share="unconditional", open_="conditional", open_cond="公开单位名称和类别", cycle="yearly", m=False)
    _E(g, "环境行政处罚信息", "信用/行政处罚/环境行政处罚", "生态环境部门作出的行政处罚决定。",
       "decision_no:处罚决定书文号:C30*=#舟环罚〔{y}〕{s3}号 uscc! party_name:当事人:C100 violation:违法行为:C30=超标排放污染物|未批先建|未按规定设置排污口|逃避监管排放污染物 penalty_amount:罚款金额（元）:Y=10000..1000000 decision_date:处罚决定日期:D",
       cat="theme", share="unconditional", open_="conditional", open_cond="按信用信息公示规定在公示期内开放")
    _E(g, "集中式饮用水水源地水质信息", "生态环境/环境质量/饮用水水源", "集中式饮用水水源地按月的水质类别和达标情况。",
       "record_id:记录编号:C20*=#SY{s6} water_source:水源地:C20=岑港水库|虹桥水库|洞岙水库|城北水库|黄金湾水库|磨心山水库 monitor_month:监测月份:C6=#{ym} water_class:水质类别:C10=Ⅰ类|Ⅱ类|Ⅲ类 meets_standard:是否达标:L",
       share="unconditional", methods="api,file", open_="open", rows=72)
    _E(g, "声环境质量监测信息", "生态环境/环境质量/声环境", "功能区声环境质量监测结果。",
       "record_id:记录编号:C20*=#SH{s6} site:监测点位:C20=#{S}监测点 region_code daytime_db:昼间等效声级（dB）:N1=45..68 night_db:夜间等效声级（dB）:N1=38..58 monitor_date:监测日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="quarterly", m=False)
    _E(g, "机动车排放检验机构名录", "生态环境/移动源/排放检验机构", "机动车排放检验机构的地址和检测线数量。",
       "inst_code:机构编号:C10*=#JY{s4} inst_name:机构名称:C50!=#舟山{T}机动车检测{有限公司|站} location:地址:C200 contact_phone lanes:检测线数:I=1..6 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20, m=False)
    _E(g, "危险废物经营许可信息", "生态环境/固体废物/危险废物经营", "危险废物经营许可证的经营类别和规模。",
       "permit_no:许可证编号:C20*=#3309{d2}{s4} uscc! company_name categories:经营类别:C20=HW08废矿物油|HW49其他废物|HW17表面处理废物 capacity_tpa:经营规模（吨/年）:N0=1000..50000 valid_until:有效期至:D",
       share="unconditional", m=False)

    # ---------------------------------------------------------------- 应急管理局
    g = "yjglj"
    _E(g, "危险化学品经营许可信息", "应急管理/安全生产/危化品经营许可", "危险化学品经营许可证的许可范围和有效期。",
       "permit_no:许可证编号:C30*=#浙舟危化经字〔{y}〕{s6} uscc! company_name scope:许可范围:C20=汽油、柴油|液化石油气|甲醇、乙醇|工业气体 issue_date:发证日期:D valid_until:有效期至:D",
       share="unconditional", open_="conditional", open_cond="公开许可证编号、企业名称和许可范围")
    _E(g, "安全生产许可信息", "应急管理/安全生产/安全生产许可", "安全生产许可证的许可范围和有效期。",
       "permit_no:许可证编号:C30*=#（浙）JZ安许证字〔{y}〕{s6} uscc! company_name scope:许可范围:C20=船舶修造|危险化学品生产|建筑施工|非煤矿山 valid_until:有效期至:D",
       share="unconditional", m=False)
    _E(g, "避灾安置场所信息", "应急管理/防灾减灾/避灾安置场所", "台风、暴雨期间可用的避灾安置场所、可容纳人数和位置。",
       "site_code:场所编号:C12*=#BZ{rc}{s4} site_name:场所名称:C50!=#{P}{T}{小学|文化礼堂|体育馆|避灾安置点} location:地址:C200 capacity:可容纳人数:I=50..2000 site_level:级别:C10=县级|乡镇级|村级 longitude latitude region_code contact_phone",
       cat="theme", share="unconditional", methods="api,file", open_="open")
    _E(g, "应急物资储备库信息", "应急管理/应急保障/物资储备库", "应急物资储备库的位置、主要物资和库容。",
       "depot_code:储备库编号:C10*=#CB{s4} depot_name:储备库名称:C50=#{P}{救灾物资储备库|防汛物资仓库} location:地址:C200 main_supplies:主要物资:C30=帐篷、折叠床、棉被|救生衣、冲锋舟|发电机、照明设备 storage_m3:库容（立方米）:N0=100..5000",
       cond="仅限应急处置和物资调度使用", rows=20, m=False)
    _E(g, "生产安全事故信息", "应急管理/安全生产/生产安全事故", "生产安全事故的类型、伤亡和直接经济损失。",
       "accident_no:事故编号:C20*=#SG{y}{s5} company_name:事故单位:C100=" + _COMPANY_TMPL + " accident_type:事故类型:C10=物体打击|高处坠落|机械伤害|淹溺|火灾|船舶事故 occurred_date:发生日期:D deaths_count:死亡人数:I=0..2 injured_count:受伤人数:I=0..5 direct_loss:直接经济损失（万元）:Y=0.5..800 region_code",
       open_="conditional", open_cond="公开已结案事故的调查报告摘要")
    _E(g, "特种作业操作证信息", "应急管理/安全生产/特种作业操作证", "特种作业人员操作证的作业类别和有效期。",
       "id_number* name! work_type:作业类别:C20=电工作业|焊接与热切割作业|高处作业|危险化学品安全作业 issue_date:初次领证日期:D valid_until:有效期至:D",
       share="unconditional", ages=(18, 60))
    _E(g, "自然灾害灾情统计", "应急管理/防灾减灾/灾情统计", "台风、暴雨、风暴潮等自然灾害的受灾人口、转移安置和直接经济损失。",
       "record_id:记录编号:C20*=#ZQ{s6} disaster:灾害名称:C30=#{y}年第{n}号台风 disaster_type:灾种:C10=台风|暴雨|风暴潮|大风 affected_people:受灾人口:I=0..80000 relocated:紧急转移安置人口:I=0..30000 direct_loss:直接经济损失（万元）:Y=0..80000 region_code event_date:发生日期:D",
       share="unconditional", methods="api,file", open_="open", cycle="quarterly", rows=40)
    _E(g, "防台风转移人员信息", "应急管理/防灾减灾/转移人员", "防台风期间危险区域人员转移的安置场所和转移时间。",
       "record_id:记录编号:C20*=#ZY{y}{s6} id_number! name! mobile address~address shelter:安置场所:C50=#{P}{T}{小学|文化礼堂|体育馆} transfer_time:转移时间:T region_code",
       cat="theme", cond="仅限防汛防台应急处置期间使用，应急响应结束后删除", rows=300)

    # ---------------------------------------------------------------- 退役军人事务局
    g = "tyjrj"
    _E(g, "退役军人基本信息", "人口/特殊人群/退役军人", "退役军人的入伍、退役时间、军种和安置方式。",
       "id_number* name! gender enlist_date:入伍时间:D discharge_date:退役时间:D service_branch:军种:C10=陆军|海军|空军|火箭军|武警部队 resettlement:安置方式:C10=自主就业|安排工作|退休|供养 region_code",
       cond="仅限退役军人优待、安置和服务保障使用", methods="api,batch", ages=(20, 90), rows=400)
    _E(g, "优抚对象信息", "民生保障/优抚/优抚对象", "重点优抚对象的类别和月抚恤补助金额。",
       "id_number* name! category:优抚类别:C20=残疾军人|烈士遗属|带病回乡退伍军人|参战退役人员|在乡老复员军人 monthly_allowance:月抚恤补助金额:Y=600..6000 start_date:享受起始日期:D",
       cat="theme", cond="仅限优抚待遇核定和社会救助家庭经济状况核对使用", ages=(40, 100), welfare=True)
    _E(g, "烈士纪念设施名录", "民生保障/褒扬纪念/烈士纪念设施", "烈士纪念设施的名称、地址和保护级别。",
       "facility_code:设施编号:C10*=#LS{s4} facility_name:设施名称:C50!=#{P}{革命烈士纪念碑|烈士陵园|烈士墓|英烈纪念馆} location:地址:C200 protection_level:保护级别:C10=省级|市级|县级 region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly", rows=20, m=False)
    _E(g, "退役军人安置就业信息", "就业/特殊人群就业/退役军人安置", "退役军人的安置类型、安置单位和安置日期。",
       "id_number* name! employer_name:安置单位:C100=" + _COMPANY_TMPL + " placement_type:安置类型:C10=安排工作|自主就业|退休安置 placement_date:安置日期:D",
       m=False)
    _E(g, "光荣牌悬挂信息", "民生保障/褒扬纪念/光荣牌", "为退役军人、军属和烈属家庭悬挂光荣牌的记录。",
       "record_id:记录编号:C20*=#GR{rc}{s6} household_head:户主姓名:C50~name address~address hanging_date:悬挂日期:D category:对象类别:C10=退役军人|现役军人家庭|烈属",
       m=False)
    _E(g, "退役军人服务站名录", "民生保障/优抚/退役军人服务站", "街道（乡镇）和社区（村）退役军人服务站的地址和电话。",
       "station_code:服务站编号:C12*=#FW{rc}{s4} station_name:服务站名称:C50!=#{P}{T}{社区|村}退役军人服务站 location:地址:C200 contact_phone region_code",
       share="unconditional", methods="api,file", open_="open", cycle="yearly")
    _E(g, "军队离退休干部信息", "民生保障/优抚/军休干部", "移交地方安置的军队离退休干部信息。",
       "id_number* name! retire_date:离退休时间:D original_rank:原职级:C10=正团职|副师职|正师职 region_code",
       ages=(60, 100), status="draft")


_define_catalog()


def catalog_entries() -> list[dict]:
    """The demo catalog (~200 entries across the 20 departments), as fresh plain dicts."""
    out = []
    for e in _ENTRY_DEFS:
        d = dict(e)
        d["class_path"] = list(e["class_path"])
        d["share_methods"] = list(e["share_methods"])
        d["items"] = [dict(it) for it in e["items"]]
        out.append(d)
    return out


CATALOG: list[dict] = catalog_entries()


# ---------------------------------------------------------------------------- small tables

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_COMPANY_NAME_ITEMS = {
    "company_name", "employer_name", "party_name", "user_name", "winner_name", "owner_company", "holder", "assignee",
}
_COMPANY_ADDRESS_ITEMS = {"reg_address", "location", "address"}
_END_DATE_WORDS = ("valid_until", "end_date", "maturity_date", "discharge_date")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_GENERIC_MEMO = ["已按规定办理", "材料齐全，准予办理", "经核查属实", "已整改完毕", "无"]


def _place_prefix(code: str) -> str:
    return f"舟山市{COUNTY_NAMES[code]}" if code in ("330902", "330903") else COUNTY_NAMES[code]


class _SmallTable:
    """Generates one entry's rows from its item specs (see `small_table`)."""

    def __init__(self, entry: dict, seed: int, scale: float):
        self.entry = entry
        self.items = entry["items"]
        key = (entry["provider"], entry["name"])
        meta = _ENTRY_HINTS.get(key) or {}
        self.hints: dict[str, str] = meta.get("hints") or {}
        self.meta = meta
        crc = zlib.crc32(f"{key[0]}/{key[1]}".encode())
        self.rng = np.random.default_rng([seed, crc])
        self.n = int(meta.get("rows") or 40 + crc % 261)
        self.seed, self.scale = seed, scale
        self._city: _City | None = None
        self.person: np.ndarray | None = None  # primary person of each row
        self.company: np.ndarray | None = None  # company of each row
        self.id_people: dict[str, np.ndarray] = {}  # id item prefix -> persons
        self.year: np.ndarray | None = None  # year of the first date column, for codes

    @property
    def city(self) -> _City:
        if self._city is None:
            self._city = _city(self.seed, self.scale)
        return self._city

    # ------------------------------------------------------------------ row subjects
    def _choose_subjects(self) -> None:
        items, rng = self.items, self.rng
        id_items = [it for it in items if it["pi_kind"] == "id_number"]
        needs_id = bool(id_items) or any("{id}" in h for h in self.hints.values())
        uscc_items = [it for it in items if it["pi_kind"] == "uscc" and it["name"] not in self.hints]
        if needs_id:
            c = self.city
            lo, hi = self.meta.get("ages") or (18, 85)
            pool = np.flatnonzero(~c.dead & (c.age_years >= lo) & (c.age_years < hi + 1))
            primary_item = next((it for it in id_items if it["is_key"]), id_items[0] if id_items else None)
            if primary_item is not None and "mother" in primary_item["name"]:
                pool = pool[~c.male[pool]]
            self.n = min(self.n, len(pool))
            if self.meta.get("welfare"):
                counts = np.bincount(c.estate_owner, minlength=len(c.ids))
                multi = np.flatnonzero((counts >= 2) & ~c.dead & (c.age_years >= max(lo, 18)) & (c.age_years < hi + 1))
                dead = np.flatnonzero(c.dead & (c.age_years >= lo) & (c.age_years < hi + 1))
                k_multi = min(len(multi), max(2, int(round(self.n * 0.04))))
                k_dead = min(len(dead), max(1, int(round(self.n * 0.015))))
                special = np.concatenate([rng.choice(multi, k_multi, replace=False), rng.choice(dead, k_dead, replace=False)])
                rest = rng.choice(np.setdiff1d(pool, special), self.n - len(special), replace=False)
                chosen = rng.permutation(np.concatenate([special, rest]))
            else:
                chosen = rng.choice(pool, self.n, replace=False)
            self.person = chosen
            for it in id_items:
                prefix = it["name"][: -len("id_number")] if it["name"].endswith("id_number") else it["name"]
                if it is primary_item:
                    self.id_people[prefix] = chosen
                else:
                    adults = np.flatnonzero(~c.dead & (c.age_years >= 20) & (c.age_years < 65))
                    if "father" in it["name"]:
                        adults = adults[c.male[adults]]
                    elif "mother" in it["name"]:
                        adults = adults[~c.male[adults]]
                    self.id_people[prefix] = rng.choice(adults, self.n, replace=True)
        if uscc_items:
            c = self.city
            active = np.flatnonzero(c.co_status == "存续")
            pool = active if len(active) >= self.n else np.arange(len(c.co_uscc))
            self.n = min(self.n, len(pool))
            if self.person is not None:
                self.person = self.person[: self.n]
                self.id_people = {k: v[: self.n] for k, v in self.id_people.items()}
            self.company = rng.choice(pool, self.n, replace=False)
        if self.person is not None:
            self.region = self.city.region_idx[self.person]
        elif self.company is not None:
            self.region = self.city.co_reg[self.company]
        else:
            self.region = rng.choice(4, size=self.n, p=_COUNTY_P)

    # ------------------------------------------------------------------ values
    def _template(self, tmpl: str) -> list[str]:
        rng, n = self.rng, self.n
        parts = _PLACEHOLDER.split(tmpl)  # literal, placeholder, literal, ...
        cols: list[list[str]] = []
        for i, p in enumerate(parts):
            if i % 2 == 0:
                cols.append([p] * n)
                continue
            if "|" in p:
                opts = p.split("|")
                cols.append([opts[j] for j in rng.integers(0, len(opts), n)])
            elif p == "rc":
                cols.append([COUNTY_CODES[r] for r in self.region])
            elif p == "C":
                cols.append([COUNTY_NAMES[COUNTY_CODES[r]] for r in self.region])
            elif p == "P":
                cols.append([_place_prefix(COUNTY_CODES[r]) for r in self.region])
            elif p == "S":
                stems = [_ADDRESS_STEMS[COUNTY_CODES[r]] for r in self.region]
                cols.append([s[int(u * len(s))] for s, u in zip(stems, rng.random(n))])
            elif p == "T":
                a, b = rng.integers(0, len(_TRADE_CHARS), (2, n))
                cols.append([_TRADE_CHARS[x] + _TRADE_CHARS[y] for x, y in zip(a, b)])
            elif p == "y":
                years = self.year if self.year is not None else rng.integers(2012, REFERENCE_DATE.year + 1, n)
                cols.append([str(y) for y in years])
            elif p == "ym":
                last = REFERENCE_DATE.year * 12 + REFERENCE_DATE.month - 1
                cols.append([f"{(last - k) // 12}{(last - k) % 12 + 1:02d}" for k in range(n)])
            elif p == "i":
                cols.append([str(k + 1) for k in range(n)])
            elif p == "n":
                cols.append([str(v) for v in rng.integers(1, 300, n)])
            elif p == "id":
                assert self.person is not None
                cols.append(list(self.city.ids[self.person]))
            elif p[0] == "s":
                w = int(p[1:])
                start = int(rng.integers(1, max(2, 10**w - n - 1)))
                cols.append([f"{start + k:0{w}d}" for k in range(n)])
            elif p[0] == "d":
                w = int(p[1:])
                cols.append([f"{v:0{w}d}" for v in rng.integers(0, 10**w, n)])
            elif p[0] == "A":
                w = int(p[1:])
                idx = rng.integers(0, len(_LETTERS), (n, w))
                cols.append(["".join(_LETTERS[j] for j in row) for row in idx])
            else:
                raise ValueError(f"unknown placeholder {{{p}}} in {tmpl!r}")
        return ["".join(vals) for vals in zip(*cols)]

    def _random_people(self, n: int) -> np.ndarray:
        c = self.city
        adults = np.flatnonzero(~c.dead & (c.age_years >= 18) & (c.age_years < 80))
        return self.rng.choice(adults, n, replace=True)

    def _mobiles(self, people: np.ndarray) -> list[str]:
        mob = self.city.mobile[people]
        fill = [str(p * 10**8 + r) for p, r in zip(self.rng.choice(_MOBILE_PREFIXES, len(people)), self.rng.integers(0, 10**8, len(people)))]
        return [m if m is not None else f for m, f in zip(mob, fill)]

    def _company_names(self, n: int) -> list[str]:
        return self._template(_COMPANY_TMPL[1:])[:n]

    def _uscc_of_kinds(self, kinds: list[str]) -> list[str]:
        rng = self.rng
        k = rng.integers(0, len(kinds), self.n)
        tail = rng.integers(0, len(_ORG_CHARSET), (self.n, 5))
        return [
            make_uscc(kinds[kk], COUNTY_CODES[r], "MA2" + "".join(_ORG_CHARSET[j] for j in row))
            for kk, r, row in zip(k, self.region, tail)
        ]

    def _character(self, it: dict) -> list[str | None]:
        name, pi, hint = it["name"], it["pi_kind"], self.hints.get(it["name"])
        rng, n = self.rng, self.n
        if pi == "uscc":
            if hint:
                return self._uscc_of_kinds(hint.split("|"))
            if self.company is not None:
                return list(self.city.co_uscc[self.company])
        if hint is not None:
            if hint.startswith("#"):
                return self._template(hint[1:])
            opts = hint.split("|")
            return [opts[j] for j in rng.integers(0, len(opts), n)]
        if pi == "id_number":
            prefix = name[: -len("id_number")] if name.endswith("id_number") else name
            return list(self.city.ids[self.id_people[prefix]])
        if pi == "name":
            prefix = name[: -len("name")]
            if prefix in self.id_people:
                return list(self.city.names[self.id_people[prefix]])
            if name == "legal_representative_name" and self.company is not None:
                return list(self.city.names[self.city.co_rep[self.company]])
            if name == "name" and self.person is not None:
                return list(self.city.names[self.person])
            return list(self.city.names[self._random_people(n)])
        if pi == "mobile":
            return self._mobiles(self.person if self.person is not None else self._random_people(n))
        if pi == "address":
            if self.person is not None:
                return list(self.city.address[self.person])
            return _addresses(rng, self.region)
        if pi == "bank_card":
            return [_bank_card(rng) for _ in range(n)]
        if name == "gender":
            if self.person is not None:
                return list(self.city.gender[self.person])
            return [("男", "女")[j] for j in rng.integers(0, 2, n)]
        if name == "region_code":
            return [COUNTY_CODES[r] for r in self.region]
        if name == "ethnicity":
            return list(_choice_p(rng, _ETHNICITIES, _ETHNICITY_P, n))
        if name == "household_id" and self.person is not None:
            return list(self.city._pop_cols["h_ids"][self.city.hh[self.person]])
        if name in _COMPANY_NAME_ITEMS:
            if self.company is not None:
                return list(self.city.co_name[self.company])
            return self._company_names(n)
        if name in _COMPANY_ADDRESS_ITEMS and self.company is not None:
            return list(self.city.co_addr[self.company])
        if "address" in name or "location" in name:
            return _addresses(rng, self.region, business=True)
        if name.endswith(("_no", "_code", "_id")):
            width = min(8, it["length"] - 10)
            return self._template(f"{{rc}}{{y}}{{s{width}}}" if width >= 3 else f"{{s{it['length']}}}")
        if name == "contact_phone":
            return [f"0580-{v}" for v in rng.integers(2000000, 8999999, n)]
        _FALLBACK_ITEMS.add((self.entry["name"], name))
        return [f"{it['label']}{k}"[: it["length"]] for k in rng.integers(1, 100, n)]

    def _dates(self, it: dict, previous: np.ndarray | None) -> np.ndarray:
        rng, n, name = self.rng, self.n, it["name"]
        if name == "birth_date" and self.person is not None:
            return self.city.birth[self.person]
        if name == "next_inspection":
            return REF_DAY + rng.integers(-30, 365, n)
        if any(w in name for w in _END_DATE_WORDS):
            base = previous if previous is not None else REF_DAY - rng.integers(0, 5 * 365, n)
            if name == "discharge_date":
                return np.minimum(_add_years(base, rng.integers(2, 17, n)) - 1, REF_DAY - 1)
            return _add_years(base, rng.integers(1, 7, n)) - 1
        days = REF_DAY - rng.integers(0, 8 * 365, n)
        if self.person is not None:
            birth = self.city.birth[self.person]
            lo = birth + np.minimum(18 * 365, (REF_DAY - birth) // 2)
            days = np.maximum(days, lo + rng.integers(0, 30, n))
            days = np.minimum(days, REF_DAY)
        return days

    def _numbers(self, it: dict) -> np.ndarray:
        rng, n, dtype = self.rng, self.n, it["data_type"]
        hint = self.hints.get(it["name"])
        if hint and "|" in hint:
            opts = np.array([float(v) for v in hint.split("|")])
            vals = opts[rng.integers(0, len(opts), n)]
            return vals.astype(np.int64) if dtype == "I" else vals
        if hint and ".." in hint:
            lo_s, hi_s = hint.split("..")
            lo, hi = float(lo_s), float(hi_s)
        elif it["name"] == "longitude":
            lo, hi = 121.95, 122.75
        elif it["name"] == "latitude":
            lo, hi = 29.75, 30.75
        elif dtype == "Y":
            lo, hi = 100.0, 100000.0
        else:
            lo, hi = 1.0, 100.0
        if dtype == "I":
            return rng.integers(int(lo), int(hi) + 1, n).astype(np.int64)
        if dtype == "Y" and hi / max(lo, 1e-9) > 50:
            vals = np.exp(rng.uniform(np.log(max(lo, 0.01)), np.log(hi), n))
            vals = np.where(lo <= 0, vals * (rng.random(n) > 0.1), vals)
        else:
            vals = rng.uniform(lo, hi, n)
        prec = it["precision"] if it["precision"] is not None else (2 if dtype in ("Y", "B", "F") else 2)
        return np.round(vals, prec)

    def build(self) -> pa.Table:
        schema = arrow_schema(self.items)
        dataset = self.entry.get("dataset")
        if dataset:
            # a sample of the big record set itself, so it agrees with the other tables
            full = DATASETS[dataset]["generator"](self.seed, self.scale)
            take = np.sort(self.rng.choice(full.num_rows, min(self.n, full.num_rows), replace=False))
            return full.take(pa.array(take)).select([it["name"] for it in self.items]).cast(schema)
        fixed = self.meta.get("fixed")
        if fixed:
            return pa.Table.from_pylist([{it["name"]: row.get(it["name"]) for it in self.items} for row in fixed], schema=schema)
        self._choose_subjects()
        cols: dict[str, pa.Array] = {}
        numbers: dict[str, np.ndarray] = {}
        previous_date: np.ndarray | None = None
        rng, n = self.rng, self.n
        # dates and numbers first: codes with a year ({y}) take the year of the first date
        for it in self.items:
            dt = it["data_type"]
            if dt in ("C", "M"):
                continue
            if dt == "D":
                days = self._dates(it, previous_date)
                if previous_date is None:
                    self.year = _ymd(days)[0]
                previous_date = days
                cols[it["name"]] = _date_col(days)
            elif dt == "T":
                span = 2 * 365 * 86400 if "birth" in it["name"] else 90 * 86400
                secs = (REF_DAY + 1) * 86400 - rng.integers(60, span, n)
                if self.person is not None and "birth" not in it["name"]:
                    secs = np.maximum(secs, (self.city.birth[self.person] + 1) * 86400)
                cols[it["name"]] = pa.array(secs, pa.timestamp("s"))
            elif dt == "L":
                cols[it["name"]] = pa.array(rng.random(n) < 0.75, pa.bool_())
            else:
                numbers[it["name"]] = self._numbers(it)
        _relate_numbers(numbers, rng)
        for name, vals in numbers.items():
            cols[name] = pa.array(vals, pa.int64() if vals.dtype.kind == "i" else pa.float64())
        for it in self.items:
            if it["data_type"] == "M" and it["name"] not in self.hints:
                cols[it["name"]] = pa.array([_GENERIC_MEMO[j] for j in rng.integers(0, len(_GENERIC_MEMO), n)], pa.string())
            elif it["data_type"] in ("C", "M"):
                vals = self._character(it)
                if it["is_key"]:
                    vals = self._unique(it, vals)
                cols[it["name"]] = pa.array(vals, pa.string())
        return pa.table({it["name"]: cols[it["name"]] for it in self.items}, schema=schema)

    def _unique(self, it: dict, vals: list) -> list:
        """Re-draw duplicate key values (templates with random parts); drop rows that stay duplicate."""
        for _ in range(30):
            seen: set = set()
            dup = []
            for k, v in enumerate(vals):
                if v in seen:
                    dup.append(k)
                seen.add(v)
            if not dup:
                return vals
            fresh = self._character(it)
            for k in dup:
                vals[k] = fresh[k]
        raise ValueError(f"cannot make key {it['name']!r} of {self.entry['name']!r} unique")


# value = other item x uniform(lo, hi), for items that must stay in proportion to another
_RELATED_NUMBERS = {
    "fund_amount": ("total_amount", 0.3, 0.85),
    "monthly_deposit": ("deposit_base", 0.10, 0.24),
    "tax_paid": ("income", 0.0, 0.2),
    "relocated": ("affected_people", 0.0, 0.4),
    "threatened_people": ("threatened_households", 1.5, 4.0),
    "social_insured": ("employees", 0.5, 1.0),
}


def _relate_numbers(numbers: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    for name, (other, lo, hi) in _RELATED_NUMBERS.items():
        if name in numbers and other in numbers:
            v = numbers[other] * rng.uniform(lo, hi, len(numbers[other]))
            numbers[name] = np.round(v).astype(np.int64) if numbers[name].dtype.kind == "i" else np.round(v, 2)


_FALLBACK_ITEMS: set[tuple[str, str]] = set()  # items generated without a specific rule (for review)


def _bank_card(rng: np.random.Generator) -> str:
    """A 19-digit UnionPay-style card number with a valid Luhn check digit."""
    body = "621" + "".join(str(d) for d in rng.integers(0, 10, 15))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def small_table(entry: dict, seed: int = DEFAULT_SEED, scale: float = 1.0) -> pa.Table:
    """20-500 plausible rows for a catalog entry, generated from its item specs.

    Persons and companies are drawn from the same city as the big record sets (same `seed` and
    `scale`), so ID numbers, names and credit codes match the population and legal persons.
    Welfare tables (低保, 特困, 养老待遇 ...) deliberately include some owners of several flats and
    a few deceased persons, for the cross-source checks. Deterministic for a given entry and seed.
    """
    return _SmallTable(entry, seed, scale).build()
