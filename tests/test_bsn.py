"""The BSN 11-proof: what the gateway and the connectors check before any lookup."""
from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from connectors.common.bsn import InvalidBsn, check_bsn, holds_bsn, is_valid_bsn


@pytest.mark.parametrize("bsn", ["999992314", "149221897", "111222333", "123456782", "999993653"])
def test_valid_bsns(bsn):
    assert check_bsn(bsn) == bsn
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize("value, reason", [
    ("123456789", "11-proof"),
    ("999992315", "11-proof"),
    ("000000000", "all zeros"),
    ("12345678", "exactly 9 digits"),
    ("1234567890", "exactly 9 digits"),
    ("12345678a", "exactly 9 digits"),
    ("١٢٣٤٥٦٧٨٢", "exactly 9 digits"),  # Arabic-Indic digits are digits to str.isdigit, not to the BRP
    (123456782, "string"),
    (None, "string"),
])
def test_invalid_values_name_the_problem(value, reason):
    with pytest.raises(InvalidBsn, match=reason):
        check_bsn(value)
    assert not is_valid_bsn(value)


def test_the_error_message_does_not_repeat_the_value():
    with pytest.raises(InvalidBsn) as caught:
        check_bsn("123456789")
    assert "123456789" not in str(caught.value)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_eleven_proof_matches_its_definition(digits):
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1)))
    assert is_valid_bsn(digits) == (total % 11 == 0 and digits != "000000000")


@st.composite
def valid_bsns(draw):
    """Eight digits, then the ninth the 11-proof asks for (weight -1: it equals the weighted sum modulo 11)."""
    first = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    last = sum(int(d) * w for d, w in zip(first, (9, 8, 7, 6, 5, 4, 3, 2))) % 11
    assume(last < 10 and first != "00000000")
    return first + str(last)


@given(valid_bsns(), st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_of_a_valid_bsn_makes_it_invalid(bsn, position, delta):
    assert is_valid_bsn(bsn)
    changed = bsn[:position] + str((int(bsn[position]) + delta) % 10) + bsn[position + 1:]
    assert not is_valid_bsn(changed)


@pytest.mark.parametrize("text, holds", [
    ("client 999992314 unknown", True),
    ("bsn:999992314", True),
    ("ref 1234567890 (ten digits)", False),
    ("999992315 fails the 11-proof", False),
    ("no digits at all", False),
])
def test_holds_bsn_finds_a_valid_bsn_standing_alone_in_free_text(text, holds):
    assert holds_bsn(text) is holds
