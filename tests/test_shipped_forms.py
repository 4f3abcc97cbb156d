"""The shipped questionnaires: the workbooks match their readable sources and load cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cati.config import QUESTIONNAIRE_DIR, REPO_ROOT
from cati.questionnaire.lint import check_form
from cati.questionnaire.loader import load_form

TOWNSHIPS = ["古槐街道", "清河街道", "东皇街道", "庙湾镇", "射桥镇", "西洋店镇", "阳城镇", "郭楼镇", "杨埠镇", "万金店镇", "高杨店镇", "辛店镇", "老王岗乡", "万冢镇", "十字路乡", "李屯镇", "玉皇庙乡", "双庙乡", "东和店镇"]


def test_workbooks_are_built_from_their_sources():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts/build_forms.py"), "--check"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["public_safety", "follow_up"])
def test_xlsx_and_markdown_compile_to_the_same_form(name):
    from_xlsx = load_form(QUESTIONNAIRE_DIR / f"{name}.xlsx")
    from_md = load_form(QUESTIONNAIRE_DIR / f"{name}.md")
    assert [i.name for i in from_xlsx.items] == [i.name for i in from_md.items]
    assert from_xlsx.version == from_md.version
    report = check_form(QUESTIONNAIRE_DIR / f"{name}.xlsx")
    assert report.usable and report.warnings == []


def test_public_safety_content():
    form = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
    assert form.form_id == "public_safety" and form.stratum_question == "township"
    assert form.languages == ("中文 (zh)", "English (en)")
    assert [form.text(c.labels) for c in form.strata()] == TOWNSHIPS
    strata = {c.name for c in form.strata()}
    outside = [c for c in form.choices_of(form.item("township")) if c.name not in strata]
    assert [form.text(c.labels) for c in outside] == ["不住在本县"]
    screen_outs = {i.name: i.disposition for i in form.items if i.is_screen_out}
    assert screen_outs == {"end_minor": "4.70", "end_residence": "4.70",
                           "end_occupation": "4.70", "end_outside": "4.10"}
    assert form.settings["cati::contact_question"] == "contact_phone"
    safety = {c.name: c for c in form.choices_of(form.item("safety"))}
    assert [safety[n].score for n in "1234"] == [100, 80, 30, 0]
    assert safety["9"].not_read and safety["8"].not_read and not safety["1"].not_read
    indices = {index.name: index for index in form.indices}
    assert indices["safety_rate"].positive == {"1", "2"} and indices["safety_rate"].excluded == {"9"}
    assert indices["law_enforcement_sat"].method == "mean"
    assert len(indices["law_enforcement_sat"].source) == 4
    assert indices["pingan_awareness"].source == ("pingan_aware",)
    assert indices["pingan_participation"].source == ("pingan_join",)
    assert indices["campaign_sat_rate"].excluded == {"8"}  # not read: 说不清
