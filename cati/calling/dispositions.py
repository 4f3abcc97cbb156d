"""The default telephone disposition table (AAPOR codes), seeded into every new project.

A project may edit its copy; the interviewer never types a code, only presses the button.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DispositionSpec:
    code: str
    label_zh: str
    label_en: str
    aapor_class: str  # I P R NC O UH UO NE
    final: bool
    retry_minutes: int | None
    contact: bool  # a person was reached
    counts_attempt: bool = True
    shortcut: str = ""


# Codes that end an interview as screened out: a form's screen-out note (4.70 not eligible, 4.10
# outside the survey's area, e.g. the township question's 不在本县) and a full quota (4.80). All
# three are AAPOR class NE, so they count as ineligible in the rates.
SCREEN_OUT_CODES = ("4.70", "4.10", "4.80")

DEFAULT_DISPOSITIONS: tuple[DispositionSpec, ...] = (
    DispositionSpec("1.1", "完成访问", "Complete", "I", True, None, True),
    DispositionSpec("1.2", "部分完成", "Partial", "P", False, 60, True),
    DispositionSpec("2.111", "拒访(户)", "Household refusal", "R", False, 7 * 24 * 60, True,
                    shortcut="F2"),
    DispositionSpec("2.112", "拒访(本人)", "Respondent refusal", "R", False, 7 * 24 * 60, True,
                    shortcut="F3"),
    DispositionSpec("2.12", "中途挂断", "Break-off", "R", False, 60, True),
    DispositionSpec("2.22", "答录机·语音信箱", "Answering machine", "NC", False, 180, False,
                    shortcut="F4"),
    DispositionSpec("3.13", "无人接听", "No answer", "UH", False, 120, False, shortcut="F5"),
    DispositionSpec("3.12", "忙音", "Busy", "UH", False, 15, False, shortcut="F6"),
    DispositionSpec("3.16", "关机·无法接通·不在服务区", "Switched off, unreachable", "UH", False,
                    180, False, shortcut="F7"),
    DispositionSpec("3.15", "被拦截", "Call blocked", "UH", False, 24 * 60, False),
    DispositionSpec("2.332", "方言不通", "Language problem", "O", True, None, True),
    DispositionSpec("2.32", "无法作答(年老、听力)", "Unable to answer", "O", True, None, True),
    DispositionSpec("4.31", "空号", "Number does not exist", "NE", True, None, False,
                    shortcut="F8"),
    DispositionSpec("4.33", "停机", "Suspended", "NE", True, None, False),
    DispositionSpec("4.20", "传真·数据线", "Fax or data line", "NE", True, None, False),
    DispositionSpec("4.51", "单位电话", "Business number", "NE", True, None, True),
    DispositionSpec("4.70", "不符合条件(筛选)", "Screened out", "NE", True, None, True),
    DispositionSpec("4.80", "配额已满", "Quota full", "NE", True, None, True),
    DispositionSpec("4.10", "不在本地区", "Out of sample area", "NE", True, None, True),
    DispositionSpec("2.30", "达到最多拨打次数(曾确认合格)", "Max attempts, eligible", "NC", True,
                    None, False, counts_attempt=False),
    DispositionSpec("3.90", "达到最多拨打次数", "Max attempts, unknown eligibility", "UH", True,
                    None, False, counts_attempt=False),
)
