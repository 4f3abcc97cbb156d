"""Forms with repeats shared by the repeat tests (engine, storage, export, window)."""

# The clock of tests/forms.py is 2026-11-23: this month is 11. Next birthday: the adult whose
# birthday month comes first from this month on (rank = months to wait * 100 + position).
# Kish: the household's number modulo the adults, plus one.
ROSTER = """
| survey |
| | type | name | label | repeat_count | calculation | constraint | required |
| | text | hh_id | 户号 | | | | yes |
| | integer | n_adults | 家中有几位18岁以上的成年人？ | | | . >= 1 and . <= 9 | yes |
| | begin repeat | adults | 成员 | ${n_adults} | | | |
| | text | name | 第${position}位成年人的姓名？ | | | | yes |
| | calculate | position | | | position(..) | | |
| | select_one sex | sex | ${name}的性别？ | | | | yes |
| | integer | age | ${name}的年龄？ | | | . >= 18 | yes |
| | integer | bmonth | ${name}的生日在几月？ | | | . >= 1 and . <= 12 | yes |
| | calculate | rank | | | ((${bmonth} - ${this_month} + 12) mod 12) * 100 + position(..) | | |
| | end repeat | | | | | | |
| | calculate | this_month | | | number(format-date(today(), '%m')) | | |
| | calculate | adult_count | | | count(${adults}) | | |
| | calculate | birthday_pos | | | min(${rank}) mod 100 | | |
| | calculate | birthday_name | | | indexed-repeat(${name}, ${adults}, ${birthday_pos}) | | |
| | calculate | kish_pos | | | (number(${hh_id}) mod ${adult_count}) + 1 | | |
| | calculate | kish_name | | | indexed-repeat(${name}, ${adults}, ${kish_pos}) | | |
| | calculate | age_total | | | sum(${age}) | | |
| | calculate | oldest | | | max(${age}) | | |
| | calculate | youngest | | | min(${age}) | | |
| | calculate | names | | | join('、', ${name}) | | |
| | note | pick | 请找${birthday_name}接听（Kish：${kish_name}）。成员：${names} | | | | |
| | select_one yn | agree | ${birthday_name}愿意接受访问吗？ | | | | yes |
| choices |
| | list_name | name | label |
| | sex | 1 | 男 |
| | sex | 2 | 女 |
| | yn | 1 | 愿意 |
| | yn | 2 | 不愿意 |
"""

ADULTS = (("王芳", "2", "45", "3"), ("李强", "1", "50", "12"), ("张伟", "1", "22", "1"))
