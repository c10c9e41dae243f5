import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from govshare.core.checkdigits import (
    USCC_CHARSET,
    id_number_check_char,
    id_number_problem,
    id_number_valid,
    id_numbers_valid,
    iso7064_mod37_36_check_char,
    iso7064_mod37_36_valid,
    uscc_check_char,
    uscc_valid,
    uscc_valid_array,
    uscc_well_formed_array,
)

BODY = "11010519491231002"
VALID_ID = BODY + id_number_check_char(BODY)
VALID_USCC = "91350100M000100Y43"


def make_id(region: str, born: dt.date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + id_number_check_char(body)


# ---------------------------------------------------------------- ID numbers


def test_id_check_char_of_the_standard_example():
    assert id_number_check_char(BODY) == "X"
    assert VALID_ID == "11010519491231002X"


def test_id_valid_and_lower_case_x():
    assert id_number_valid(VALID_ID)
    assert id_number_valid(VALID_ID.lower())


@pytest.mark.parametrize("value, reason", [
    ("11010519491231002", "18 characters"),
    ("11010519491231002XX", "18 characters"),
    ("1101051949123100AX", "17 digits"),
    ("11010519491231002Y", "digit or X"),
    (BODY[:-1] + "3" + "X", "check character"),
    ("110105194902300020", "impossible birth date 19490230"),
    ("110105190002290020", "impossible birth date 19000229"),  # 1900 is not a leap year
    ("110105189912310020", "impossible birth date"),  # before 1900
])
def test_id_problems(value, reason):
    assert not id_number_valid(value)
    assert reason in id_number_problem(value)


def test_id_birth_date_in_the_future_is_rejected():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert not id_number_valid(make_id("110105", tomorrow, 1))
    assert id_number_valid(make_id("110105", dt.date.today(), 1))
    assert id_number_valid(make_id("110105", dt.date(2000, 2, 29), 1))


def test_id_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        id_number_check_char("1234")
    with pytest.raises(ValueError):
        id_number_check_char("1101051949123100A")


def test_id_vectorised_matches_scalar_on_random_values():
    rng = random.Random(11)
    values: list[str | None] = []
    for _ in range(3000):
        value = make_id(rng.choice(["110105", "330902", "440305"]),
                        dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000)), rng.randrange(1000))
        match rng.randrange(8):
            case 0:  # wrong check char
                value = value[:17] + rng.choice("0123456789X")
            case 1:  # a corrupted digit
                i = rng.randrange(17)
                value = value[:i] + rng.choice("0123456789") + value[i + 1:]
            case 2:  # wrong length
                value = value[:rng.randrange(18)]
            case 3:
                value = value.lower()
            case 4:
                value = value[:10] + "13" + value[12:]  # month 13
            case 5:
                value = None
            case 6:
                value = value[:5] + "中" + value[6:]  # non-ASCII, 20 bytes
        values.append(value)
    expected = np.array([v is None or id_number_valid(v) for v in values])
    assert (id_numbers_valid(pa.array(values)) == expected).all()
    chunked = pa.chunked_array([values[:1000], values[1000:]])
    assert (id_numbers_valid(chunked) == expected).all()
    sliced = pa.array(["x"] + values)[1:]
    assert (id_numbers_valid(sliced) == expected).all()
    assert (id_numbers_valid(pa.array(values, pa.large_string())) == expected).all()


def test_id_vectorised_edge_cases():
    assert id_numbers_valid(pa.array([], pa.string())).tolist() == []
    assert id_numbers_valid(pa.array([None, None], pa.string())).tolist() == [True, True]
    assert id_numbers_valid(pa.array([VALID_ID, VALID_ID.lower(), "", "x" * 18])).tolist() == [
        True, True, False, False]


# ---------------------------------------------------------------- credit codes


def test_uscc_known_example():
    assert uscc_check_char(VALID_USCC[:17]) == "3"
    assert uscc_valid(VALID_USCC)


@pytest.mark.parametrize("value", [
    VALID_USCC[:17] + "4", VALID_USCC[:17], VALID_USCC + "0",
    "9135010OM000100Y43",  # O is not in the GB 32100 set
    VALID_USCC.lower(),
])
def test_uscc_invalid(value):
    assert not uscc_valid(value)


def test_uscc_check_char_of_constructed_codes_validates():
    rng = random.Random(5)
    for _ in range(200):
        body = "".join(rng.choice(USCC_CHARSET) for _ in range(17))
        assert uscc_valid(body + uscc_check_char(body))
    with pytest.raises(ValueError):
        uscc_check_char("I" * 17)


def test_uscc_vectorised_matches_scalar():
    rng = random.Random(3)
    values: list[str | None] = []
    for _ in range(2000):
        body = "".join(rng.choice(USCC_CHARSET) for _ in range(17))
        code = body + uscc_check_char(body)
        match rng.randrange(5):
            case 0:
                code = code[:17] + rng.choice(USCC_CHARSET)
            case 1:
                code = code[:rng.randrange(18)]
            case 2:
                code = code[:3] + rng.choice("IOSVZ") + code[4:]
            case 3:
                code = None
        values.append(code)
    expected = np.array([v is None or uscc_valid(v) for v in values])
    assert (uscc_valid_array(pa.array(values)) == expected).all()
    formed = np.array([v is None or (len(v) == 18 and set(v) <= set(USCC_CHARSET)) for v in values])
    assert (uscc_well_formed_array(pa.array(values)) == formed).all()


# ---------------------------------------------------------------- ISO 7064 MOD 37,36


@pytest.mark.parametrize("body, check", [
    ("A12425GABC1234002", "M"),  # the GRid example of ISO 7064 MOD 37,36
    ("RABD", "A"),
    ("X0H", "X"),
    ("B7Q3SFTUSH2QN7BIXBPMNZAM", "I"),
])
def test_mod37_36_vectors(body, check):
    assert iso7064_mod37_36_check_char(body) == check
    assert iso7064_mod37_36_valid(body + check)
    assert iso7064_mod37_36_valid((body + check).lower())


def test_mod37_36_licence_identifier_round_trip():
    # 1.2.156.3005.2.{type}.{issuer credit code}.{serial}.{version}.{check}; dots are not checked
    prefix = f"1.2.156.3005.2.11100000000013338W.{VALID_USCC}.0001.001"
    check = iso7064_mod37_36_check_char(prefix.replace(".", ""))
    identifier = f"{prefix}.{check}"
    body, _, last = identifier.rpartition(".")
    assert iso7064_mod37_36_valid(body.replace(".", "") + last)
    wrong = "0" if check != "0" else "1"
    assert not iso7064_mod37_36_valid(body.replace(".", "") + wrong)


def test_mod37_36_detects_every_single_substitution():
    body = "A12425GABC1234002"
    check = iso7064_mod37_36_check_char(body)
    for i in range(len(body)):
        for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if ch != body[i]:
                assert iso7064_mod37_36_check_char(body[:i] + ch + body[i + 1:]) != check


def test_mod37_36_rejects_other_characters():
    with pytest.raises(ValueError):
        iso7064_mod37_36_check_char("1.2")
    assert not iso7064_mod37_36_valid("A1-2")
    assert not iso7064_mod37_36_valid("")
