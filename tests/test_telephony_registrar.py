"""The workstation's SIP account against a registrar with digest authentication (kamailio on
loopback), and a number dialled through it with the centre's dialing plan."""

from __future__ import annotations

import json

import pytest
from sip_lab import Kamailio

pytestmark = pytest.mark.telephony


@pytest.fixture
def registrar(tmp_path):
    with Kamailio(tmp_path / "kamailio", password="s3cret") as server:
        yield server


@pytest.fixture
def phone_json(tmp_path, monkeypatch, registrar):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("CATI_DATA_DIR", str(data))
    settings = {"aor": "sip:8001@127.0.0.1", "outbound": f"sip:{registrar.host}",
                "dialing": {"trunk_prefix": "9", "area_code": "0571"}}
    (data / "phone.json").write_text(json.dumps(settings), encoding="utf-8")
    return data / "phone.json"


def test_account_registers_with_the_right_password(run_cli, phone_json, registrar):
    done = run_cli("phone", "check", "--json", env={"CATI_SIP_PASSWORD": "s3cret"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["account"] == "sip:8001@127.0.0.1"
    assert report["registered"] is True and report["register_reason"] == "200 OK"
    assert report["ok"]


def test_wrong_password_is_not_registered(run_cli, phone_json, registrar):
    done = run_cli("phone", "check", "--json", env={"CATI_SIP_PASSWORD": "guess"})
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["registered"] is False and report["register_reason"] == "401 Unauthorized"
    assert not report["ok"]
    text = run_cli("phone", "check", env={"CATI_SIP_PASSWORD": "guess"})
    assert "NOT registered (401 Unauthorized)" in text.stdout


def test_number_is_dialled_with_the_trunk_prefix_through_the_registrar(run_cli, phone_json):
    # kamailio asks the INVITE for digest credentials too, and answers 9 + the mobile with 486
    done = run_cli("phone", "call", "+8613812345678", "--json",
                   env={"CATI_SIP_PASSWORD": "s3cret"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["uri"] == "sip:913812345678@127.0.0.1"
    assert (result["outcome"], result["sip_status"], result["proposed_disposition"]) == (
        "busy", 486, "3.12")


def test_call_refused_when_the_account_does_not_register(run_cli, phone_json):
    done = run_cli("phone", "call", "+8613812345678", env={"CATI_SIP_PASSWORD": "guess"})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == ("cati: sip:8001@127.0.0.1: not registered "
                                   "(401 Unauthorized)")
