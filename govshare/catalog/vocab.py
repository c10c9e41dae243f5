"""The controlled vocabularies of the national catalog guide (政务信息资源目录编制指南).

Values are the stable codes used in the API and the database; labels are the Chinese terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DataType(StrEnum):
    """Item data types of the catalog guide."""

    C = "C"  # 字符型 character
    N = "N"  # 数值型 number (decimal)
    Y = "Y"  # 货币型 money
    D = "D"  # 日期型 date
    T = "T"  # 日期时间型 datetime
    L = "L"  # 逻辑型 boolean
    M = "M"  # 备注型 memo (long text)
    B = "B"  # 二进制/双精度 double
    I = "I"  # 整型 integer  # noqa: E741
    F = "F"  # 浮点型 float


DATA_TYPE_LABELS = {
    "C": "字符型", "N": "数值型", "Y": "货币型", "D": "日期型", "T": "日期时间型",
    "L": "逻辑型", "M": "备注型", "B": "双精度型", "I": "整数型", "F": "浮点型",
}


class Sensitivity(StrEnum):
    """Data classification per GB/T 43697-2024."""

    general = "general"
    important = "important"
    core = "core"


class PIKind(StrEnum):
    """What kind of personal information an item holds; drives default masking."""

    id_number = "id_number"
    name = "name"
    mobile = "mobile"
    address = "address"
    bank_card = "bank_card"
    uscc = "uscc"
    other = "other"
    none = "none"


class ShareType(StrEnum):
    unconditional = "unconditional"  # 无条件共享
    conditional = "conditional"  # 有条件共享
    none = "none"  # 不予共享


class ShareMethod(StrEnum):
    api = "api"
    batch = "batch"
    file = "file"


class OpenType(StrEnum):
    open = "open"
    conditional = "conditional"
    closed = "closed"


class OpenTreatment(StrEnum):
    """What the open data portal does with an item of an open entry (personal items need one)."""

    drop = "drop"  # never published
    generalise = "generalise"  # published coarsened (date -> year, address -> district, ...)


class UpdateCycle(StrEnum):
    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


UPDATE_CYCLE_SECONDS = {
    "realtime": 60, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400,
    "quarterly": 91 * 86400, "yearly": 365 * 86400,
}


class EntryFormat(StrEnum):
    """资源格式."""

    electronic_file = "electronic_file"  # 电子文件
    spreadsheet = "spreadsheet"  # 电子表格
    database = "database"  # 数据库
    image = "image"  # 图形图像
    streaming = "streaming"  # 流媒体
    self_describing = "self_describing"  # 自描述格式
    service_api = "service_api"  # 服务接口


class EntryStatus(StrEnum):
    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class Category(StrEnum):
    """Top-level classification: 基础 / 主题 / 部门 information resources."""

    base = "base"  # 基础信息资源
    theme = "theme"  # 主题信息资源
    department = "department"  # 部门信息资源


CATEGORY_DIGIT = {"base": "1", "theme": "2", "department": "3"}


@dataclass(frozen=True)
class ItemSpec:
    """What loading and validation need to know about one item (信息项)."""

    name: str
    label: str
    data_type: str
    length: int | None = None
    precision: int | None = None
    required: bool = False
    is_key: bool = False
    pi_kind: str = "none"
