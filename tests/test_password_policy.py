"""cati.password_policy: short, username-bearing, common and patterned passwords are refused
with one bilingual line; others pass."""

from __future__ import annotations

import pytest

from cati.errors import CatiError
from cati.password_policy import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    common_passwords,
)

SHORT = "a password needs at least 8 characters (密码至少 8 个字符)"
USERNAME = "a password must not be or contain the username (密码不能包含用户名)"
COMMON = "this password is one of the most common ones; choose another (这是最常见的密码之一，请换一个)"
PATTERN = ("a password must not be one character repeated or a simple keyboard or digit sequence"
           " (密码不能是重复的字符或简单的键盘、数字序列)")


def refused(password: str, username: str = "") -> str:
    with pytest.raises(CatiError) as caught:
        check_new_password(password, username)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_min_length_is_exported():
    assert MIN_PASSWORD_LENGTH == 8


@pytest.mark.parametrize("password", ["", "a", "Tj#2026", "七个汉字的密码"])
def test_short_passwords(password):
    assert refused(password) == SHORT


@pytest.mark.parametrize(("password", "username"), [
    ("zhangsan", "zhangsan"),
    ("ZhangSan2026", "zhangsan"),
    ("my-wangwei-pw", "WangWei"),
    ("xx_abc_xx_yy", "abc"),
    ("ｚｈａｎｇｓａｎ99", "zhangsan"),  # full-width letters are the same letters
    ("zhangsan99", "  zhangsan "),
])
def test_the_username_is_refused(password, username):
    assert refused(password, username) == USERNAME


@pytest.mark.parametrize(("password", "username"), [
    ("Liang#2026xyz", "li"),  # under 3 characters: too likely by chance
    ("Tianjin#Ji2026", ""),
    ("Tianjin#Ji2026", "zhangsan"),
])
def test_a_short_or_absent_username_is_not_looked_for(password, username):
    check_new_password(password, username)


@pytest.mark.parametrize("password", [
    "woaini1314", "qq123456", "88888888", "12345678", "password", "1qaz2wsx",
    "abc123456", "Aa123456", "admin123", "P@ssw0rd", "PASSWORD", "iloveyou", "sunshine",
    "football", "１２３４５６７８", "5201314520", "woaini520",
])
def test_common_passwords(password):
    assert refused(password) == COMMON


def test_the_list_holds_the_chinese_favourites_and_ten_thousand_more():
    words = common_passwords()
    assert len(words) >= 10_000
    assert {"123456", "a123456", "woaini1314", "5201314", "qq123456", "88888888", "11111111",
            "12345678", "password", "1qaz2wsx", "abc123456", "aa123456", "admin123",
            "p@ssw0rd"} <= words
    assert all(word == word.lower() and word.strip() == word for word in words)


@pytest.mark.parametrize("password", [
    "xxxxxxxx", "ZZZZZZZZZZ", "!!!!!!!!", "abcabcabc", "34343434", "qweqweqwe", "abababab",
    "23456789", "98765432", "abcdefgh", "ZYXWVUTS", "7890123456", "zxcvbnm,./", ",mnbvcxz",
    "asdfghjkl;", ";lkjhgfd", "2w3e4r5t6y", "xsw2cde3vfr4",
])
def test_repeats_and_sequences(password):
    assert refused(password) == PATTERN


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "Tianjin#Ji2026", "平舆县2026年调查", "q8#Lm2vX", "13579abc",
])
def test_good_passwords_pass(password):
    check_new_password(password)
    check_new_password(password, "zhangsan")
