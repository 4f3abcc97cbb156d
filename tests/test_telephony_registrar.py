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


def test_setup_writes_phone_json_and_the_account_registers(run_cli, registrar, tmp_path):
    env = {"CATI_DATA_DIR": str(tmp_path), "CATI_SIP_PASSWORD": "s3cret"}
    (tmp_path / "rec").mkdir()
    done = run_cli("phone", "setup", "--account", "sip:8002@127.0.0.1", "--outbound",
                   f"sip:{registrar.host}", "--codecs", "pcma", "--recordings",
                   str(tmp_path / "rec"), "--trunk-prefix", "9", "--area-code", "0571",
                   "--rtp-ports", "20000-20100", "--json", env=env)
    assert done.returncode == 0, done.stderr
    stored = json.loads((tmp_path / "phone.json").read_text(encoding="utf-8"))
    assert stored == json.loads(done.stdout)
    assert (stored["aor"], stored["codecs"], stored["dialing"], stored["rtp_ports"]) == (
        "sip:8002@127.0.0.1", ["pcma"], {"trunk_prefix": "9", "area_code": "0571"},
        "20000-20100")
    assert (tmp_path / "phone.json").stat().st_mode & 0o077 == 0
    report = json.loads(run_cli("phone", "check", "--json", env=env).stdout)
    assert report["registered"] is True and report["account"] == "sip:8002@127.0.0.1"
    # one entry changed, the others kept
    assert run_cli("phone", "setup", "--area-code", "010", env=env).returncode == 0
    again = json.loads((tmp_path / "phone.json").read_text(encoding="utf-8"))
    assert again == {**stored, "dialing": {"trunk_prefix": "9", "area_code": "010"}}


@pytest.mark.parametrize("args, message", [
    (["--account", "8001@pbx"], "write sip:USER@HOST"),
    (["--outbound", "pbx.example.cn"], "write sip:HOST[:PORT]"),
    (["--listen", "my-pc"], "an IP address of this workstation"),
    (["--codecs", "pcma,amr"], "codec 'amr'"),
    (["--trunk-prefix", "9x"], "digits only"),
    (["--recordings", "/nonexistent/rec"], "no such folder"),
    (["--rtp-ports", "80-90"], "a range like 10000-20000"),
    (["--auto-dial", "500"], "between 0 (off) and 120"),
    (["--auto-dial", "soon"], "not a number of seconds"),
])
def test_setup_mistake_is_one_line_and_keeps_phone_json(run_cli, tmp_path, args, message):
    env = {"CATI_DATA_DIR": str(tmp_path)}
    assert run_cli("phone", "setup", "--account", "sip:8001@127.0.0.1", env=env).returncode == 0
    before = (tmp_path / "phone.json").read_bytes()
    done = run_cli("phone", "setup", *args, env=env)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("cati: ") and message in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert (tmp_path / "phone.json").read_bytes() == before


def test_password_baresip_cannot_take_is_one_line(run_cli, phone_json):
    done = run_cli("phone", "check", env={"CATI_SIP_PASSWORD": "two words"})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == ("cati: the SIP password holds a space, ';' or '\"', which "
                                   "baresip cannot take: set another one on the PBX")
