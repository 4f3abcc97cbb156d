"""What the workstation dials for a stored E.164 number, by the centre's dialing plan."""

from __future__ import annotations

import json

import pytest

from cati.telephony.dialing import DialingError, DialPlan
from cati.telephony.settings import PhoneSettings

HANGZHOU = DialPlan(trunk_prefix="9", area_code="0571")


@pytest.mark.parametrize("e164, digits", [
    ("+8657188001234", "988001234"),  # local landline: no area code
    ("+861088001234", "901088001234"),  # Beijing from Hangzhou: 0 + area code
    ("+867558800123", "907558800123"),  # Shenzhen (0755)
    ("+8613812345678", "913812345678"),  # mobile: its 11 digits
    ("+8619912345678", "919912345678"),
    ("+85223456789", "90085223456789"),  # Hong Kong: international
])
def test_national_plan_with_a_trunk_prefix(e164, digits):
    assert HANGZHOU.digits(e164) == digits


def test_area_code_without_its_zero_and_no_trunk_prefix():
    plan = DialPlan(area_code="10")
    assert plan.digits("+861088001234") == "88001234"
    assert plan.digits("+8657188001234") == "057188001234"


def test_mobile_prefix_for_a_pbx_that_wants_it():
    plan = DialPlan(trunk_prefix="9", area_code="0571", mobile_prefix="0")
    assert plan.digits("+8613812345678") == "9013812345678"


def test_e164_for_a_sip_trunk():
    plan = DialPlan(format="e164")
    assert plan.digits("+8657188001234") == "+8657188001234"
    assert plan.digits("+8613812345678") == "+8613812345678"


def test_project_dialing_overrides_the_workstation_plan():
    station = PhoneSettings(aor="sip:8001@pbx", dialing={"trunk_prefix": "9",
                                                           "area_code": "0571"})
    assert station.dial_plan().digits("+8613812345678") == "913812345678"
    own_trunk = {"dialing": {"format": "e164", "trunk_prefix": ""}}
    assert station.dial_plan(own_trunk).digits("+8613812345678") == "+8613812345678"


@pytest.mark.parametrize("number", ["13812345678", "+86", "+86abc", "+861"])
def test_not_a_stored_number_is_refused(number):
    with pytest.raises(DialingError):
        HANGZHOU.digits(number)


@pytest.mark.parametrize("setting", [{"format": "local"}, {"trunk_prefix": "9a"}])
def test_bad_setting_is_one_line_on_the_command_line(run_cli, tmp_path, setting):
    (tmp_path / "phone.json").write_text(json.dumps(
        {"aor": "sip:8001@127.0.0.1", "register": False, "dialing": setting}), encoding="utf-8")
    done = run_cli("phone", "call", "+8613812345678", env={"CATI_DATA_DIR": str(tmp_path)})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("cati: dialing ") and len(done.stderr.splitlines()) == 1
