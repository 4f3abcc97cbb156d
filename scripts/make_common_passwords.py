"""Write cati/data/common_passwords.txt: the passwords cati.password_policy refuses by name.

Source: the "passwords" frequency list that the zxcvbn package (PyPI, MIT licence) ships —
30,000 passwords ranked by how often they appear in leaked password dumps. cati keeps the
10,000 most common of at least 8 characters (shorter ones are refused by length anyway), lower
case, and adds by hand passwords typical of Chinese users: digit runs, the "love" numbers 520
and 1314, pinyin and "qq" with digits.

zxcvbn is not a dependency of cati; install it somewhere to run this:

    pip install --target /tmp/zxcvbn zxcvbn
    PYTHONPATH=/tmp/zxcvbn python scripts/make_common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "cati" / "data" / "common_passwords.txt"
KEEP = 10_000
MIN_LENGTH = 8

# Typical of Chinese users (not all in zxcvbn's list, which comes from mostly English sites).
_CHINESE = """
123456 a123456 woaini1314 5201314 qq123456 88888888 11111111 12345678 password 1qaz2wsx
abc123456 aa123456 admin123 p@ssw0rd 123456789 1234567890 00000000 000000000 0000000000
111111111 1111111111 66666666 666666666 99999999 999999999 22222222 12121212 12341234
12344321 11223344 87654321 987654321 147258369 123654789 789456123 159357159 123123123
123321123 123456123 123456aa 123456abc a12345678 a123456789 a1234567 abcd1234 1234qwer
1q2w3e4r qwer1234 qazwsxedc asdfghjkl asdasdasd qwertyui qqqqqqqq aaaaaaaa 31415926
520520520 5201314520 1314520520 201314201314 woaini520 woaini123 woaini1314520 iloveyou1314
5211314 52013145201314 qq5201314 qq123456789 zhang123 zhang123456 wang123456 li123456
liu123456 chen123456 wangwei123 zhangwei123 dearbook xiazhili huang123456 yang123456
a5201314 aini1314 woaini5201314 admin888 admin1234 admin12345 admin123456 root1234
root123456 test1234 test123456 password1 password123 p@ssword qwe123456 asd123456
zxc123456 abc12345678 abcd123456 aa123456789 qweasdzxc 1qaz2wsx3edc zaq12wsx
"""
CHINESE = _CHINESE.split()


def main() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    ranked = [word.lower() for word in FREQUENCY_LISTS["passwords"] if len(word) >= MIN_LENGTH]
    words = dict.fromkeys([*(word.lower() for word in CHINESE), *ranked[:KEEP]])
    header = ("# The passwords cati refuses by name, compared case-insensitively: typical Chinese\n"
              "# ones, then the 10,000 most common of at least 8 characters in zxcvbn's list\n"
              "# (PyPI zxcvbn 4.5.0, MIT licence). Made by scripts/make_common_passwords.py.\n")
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(words):,} passwords")


if __name__ == "__main__":
    main()
