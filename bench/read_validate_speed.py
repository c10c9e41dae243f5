"""Micro-benchmark: read + validate a 1,000,000-row GBK CSV of persons (12 columns).

    .venv/bin/python bench/read_validate_speed.py [--rows N] [--path /tmp/persons_gbk.csv] [--regen]

Generates the file once (valid ID numbers, Chinese names and addresses, GBK encoded), then times
`open_table_stream` + `validate_batch` over every batch and prints rows/s for reading alone and
for reading + validating (best of --repeat runs), and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govshare.catalog.vocab import ItemSpec  # noqa: E402
from govshare.core.checkdigits import ID_CHECK_CHARS, ID_WEIGHTS  # noqa: E402
from govshare.mounting.readers import open_table_stream  # noqa: E402
from govshare.mounting.validation import map_headers, validate_batch  # noqa: E402

ITEMS = [
    ItemSpec("id_number", "公民身份号码", "C", length=18, required=True, is_key=True, pi_kind="id_number"),
    ItemSpec("name", "姓名", "C", length=50, required=True, pi_kind="name"),
    ItemSpec("gender", "性别", "C", length=2),
    ItemSpec("birth_date", "出生日期", "D", required=True),
    ItemSpec("mobile", "手机号码", "C", length=11, pi_kind="mobile"),
    ItemSpec("address", "住址", "C", length=200, pi_kind="address"),
    ItemSpec("region_code", "行政区划代码", "C", length=6, required=True),
    ItemSpec("household_id", "户号", "C", length=20),
    ItemSpec("marital_status", "婚姻状况", "C", length=10),
    ItemSpec("education", "文化程度", "C", length=20),
    ItemSpec("occupation", "职业", "C", length=50),
    ItemSpec("registered_date", "登记日期", "D"),
]

REGIONS = {
    "110105": "北京市朝阳区", "310115": "上海市浦东新区", "330902": "浙江省舟山市定海区",
    "440305": "广东省深圳市南山区", "510107": "四川省成都市武侯区", "420106": "湖北省武汉市武昌区",
}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌玉梅鑫")
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "长江路", "文化路"]
MARITAL = ["未婚", "已婚", "离异", "丧偶"]
EDUCATION = ["小学", "初中", "高中", "中专", "大专", "本科", "硕士研究生", "博士研究生"]
OCCUPATION = ["教师", "医生", "工人", "农民", "公务员", "工程师", "个体工商户", "退休", "学生", "无业"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    chunk = 200_000
    with open(path, "wb") as fh:
        fh.write(",".join(item.label for item in ITEMS).encode("gbk") + b"\r\n")
        for start in range(0, rows, chunk):
            fh.write(_chunk(rng, min(chunk, rows - start)).encode("gbk"))


def _chunk(rng: np.random.Generator, n: int) -> str:
    region_keys = list(REGIONS)
    region = rng.integers(0, len(region_keys), n)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 70 * 365, n).astype("timedelta64[D]")
    seq = rng.integers(0, 1000, n)
    reg = np.datetime64("2000-01-01") + rng.integers(0, 24 * 365, n).astype("timedelta64[D]")
    first17 = [f"{region_keys[r]}{str(b).replace('-', '')}{s:03d}" for r, b, s in zip(region, birth, seq)]
    digits = np.frombuffer("".join(first17).encode(), dtype=np.uint8).reshape(n, 17) - 48
    checks = np.array(list(ID_CHECK_CHARS))[(digits.astype(np.int64) @ np.array(ID_WEIGHTS)) % 11]
    surname = rng.integers(0, len(SURNAMES), n)
    given1 = rng.integers(0, len(GIVEN), n)
    given2 = rng.integers(-len(GIVEN), len(GIVEN), n)
    mobile = rng.integers(0, 10**9, n)
    mobile_prefix = rng.integers(3, 10, n)
    house = rng.integers(1, 999, n)
    street = rng.integers(0, len(STREETS), n)
    household = rng.integers(0, 10**9, n)
    marital = rng.integers(0, len(MARITAL), n)
    education = rng.integers(0, len(EDUCATION), n)
    occupation = rng.integers(0, len(OCCUPATION), n)
    lines = []
    for i in range(n):
        code = region_keys[region[i]]
        name = SURNAMES[surname[i]] + GIVEN[given1[i]] + (GIVEN[given2[i]] if given2[i] >= 0 else "")
        gender = "男" if seq[i] % 2 else "女"
        lines.append(
            f"{first17[i]}{checks[i]},{name},{gender},{birth[i]},1{mobile_prefix[i]}{mobile[i]:09d},"
            f"{REGIONS[code]}{STREETS[street[i]]}{house[i]}号,{code},{code}{household[i]:09d},"
            f"{MARITAL[marital[i]]},{EDUCATION[education[i]]},{OCCUPATION[occupation[i]]},"
            f"{str(reg[i]).replace('-', '/')}\r\n"
        )
    return "".join(lines)


def run(path: Path, validate: bool) -> tuple[int, float, str]:
    started = time.perf_counter()
    stream = open_table_stream(path)
    header_map = map_headers(stream.headers, ITEMS) if validate else {}
    rows = errors = 0
    for first_row, batch in stream:
        rows += batch.num_rows
        if validate:
            result = validate_batch(batch, first_row, ITEMS, header_map)
            errors += result.error_count
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"unexpected validation errors: {errors}")
    return rows, elapsed, stream.encoding


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/persons_gbk.csv"))
    parser.add_argument("--regen", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.regen or not args.path.exists():
        t = time.perf_counter()
        generate(args.path, args.rows)
        print(f"generated {args.path} ({os.path.getsize(args.path) / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s")
    for label, validate in (("read", False), ("read+validate", True)):
        best = min((run(args.path, validate) for _ in range(args.repeat)), key=lambda r: r[1])
        rows, elapsed, encoding = best
        print(f"{label:>14}: {rows:,} rows ({encoding}) in {elapsed:.2f}s = {rows / elapsed:,.0f} rows/s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MiB")


if __name__ == "__main__":
    main()
