"""The softphone on loopback: cati's baresip calls a real respondent agent (or kamailio as the
network) and each call ends with the outcome, SIP status and proposed disposition a supervisor
expects; an answered call's recording holds the respondent's speech."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sip_lab import Kamailio, Respondent, need, speech_wav, wav_seconds

from cati.telephony.baresip import AgentOptions, BaresipAgent, free_sip_port
from cati.telephony.call import place_call
from cati.telephony.recording import channel_rms, describe

pytestmark = pytest.mark.telephony

SILENCE_RMS = 50  # G.711 silence decodes to a few units; speech is in the thousands


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("voices")
    return {
        # 3 s of the respondent, then it hangs up (its WAV ends)
        "respondent": speech_wav(folder, name="respondent.wav", seconds=3),
        # the interviewer's side outlasts the call
        "interviewer": speech_wav(folder, "请问您家里有几口人？您对本县的治安状况满意吗？",
                                  name="interviewer.wav", seconds=8),
    }


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def workstation():
    need("baresip")
    with BaresipAgent(AgentOptions()) as agent:
        yield agent


def _call(run_cli, *args: str) -> dict:
    done = run_cli("phone", "call", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_answered_call_is_recorded_with_the_respondents_speech(run_cli, voices, tmp_path):
    target = tmp_path / "rec" / "attempt-1.wav"
    with Respondent("auto", play=voices["respondent"]) as respondent:
        result = _call(run_cli, respondent.uri, "--record", str(target),
                       "--play", str(voices["interviewer"]))
    assert result["uri"] == respondent.uri
    assert (result["outcome"], result["sip_status"], result["proposed_disposition"]) == (
        "answered", 200, None)
    # the respondent spoke 3 s and hung up
    assert abs(result["talk_s"] - wav_seconds(voices["respondent"])) < 0.5
    assert result["recording"] == str(target)
    info = describe(target)
    assert result["recording_info"] == info.as_json()
    assert abs(info.duration_s - result["talk_s"]) < 0.5
    # right: the respondent's speech; left: the interviewer's, both well above silence
    assert channel_rms(target, 1) > 10 * SILENCE_RMS
    assert channel_rms(target, 0) > 10 * SILENCE_RMS
    assert result["answered_at"] and result["ended_at"]


def test_audio_within_the_firewalls_rtp_ports(voices, tmp_path):
    options = AgentOptions(record=True, rtp_ports="21000-21010")
    with Respondent("auto", play=voices["respondent"]) as respondent, \
            BaresipAgent(options) as workstation:
        result = place_call(workstation, respondent.uri, record_to=tmp_path / "call.wav")
        assert "rtp_ports 21000-21010" in (workstation.folder / "config").read_text()
    assert result.outcome == "answered"
    assert channel_rms(tmp_path / "call.wav", 1) > 10 * SILENCE_RMS


def test_busy_respondent_is_busy_and_proposes_3_12(run_cli):
    with Respondent("busy") as respondent:
        result = _call(run_cli, respondent.uri)
    assert (result["outcome"], result["sip_status"], result["proposed_disposition"]) == (
        "busy", 486, "3.12")
    assert result["recording"] is None and result["talk_s"] == 0


def test_unanswered_call_is_hung_up_after_the_set_seconds(workstation):
    with Respondent("ring") as respondent:
        result = place_call(workstation, respondent.uri, no_answer_after=2)
    assert (result.outcome, result.sip_status, result.proposed_disposition) == (
        "no_answer", 180, "3.13")
    assert 1.5 < result.ring_s < 2.5 and result.talk_s == 0
    assert result.rang_at is not None and result.answered_at is None


def test_unknown_user_is_not_found(workstation):
    with Respondent("auto") as respondent:
        result = place_call(workstation, respondent.uri.replace("resp@", "nobody@"))
    assert (result.outcome, result.sip_status, result.proposed_disposition) == (
        "not_found", 404, "4.31")


def test_network_answers_decline_busy_and_failure(workstation, tmp_path):
    with Kamailio(tmp_path / "kamailio") as network:
        found = {user: place_call(workstation, f"sip:{user}@{network.host}")
                 for user in ("decline", "busy", "down")}
    assert [(r.outcome, r.sip_status, r.proposed_disposition) for r in found.values()] == [
        ("rejected", 603, "3.15"), ("busy", 486, "3.12"), ("failed", 503, "3.16")]


def test_dead_line_fails_without_ringing(workstation):
    port = free_sip_port()  # nothing listens there
    result = place_call(workstation, f"sip:resp@127.0.0.1:{port}", no_answer_after=1.5)
    assert (result.outcome, result.sip_status, result.proposed_disposition) == (
        "failed", None, "3.16")
    assert result.ring_s == 0


def test_project_table_overrides_the_proposed_disposition(workstation):
    settings = {"call_outcome_dispositions": {"rejected": "2.111", "busy": None}}
    with Respondent("busy") as respondent:
        busy = place_call(workstation, respondent.uri, settings=settings)
    assert (busy.outcome, busy.proposed_disposition) == ("busy", None)
    with Respondent("auto") as respondent:
        gone = place_call(workstation, respondent.uri.replace("resp@", "x@"), settings=settings)
    assert gone.proposed_disposition == "4.31"  # not overridden: the default


def test_phone_check_reports_baresip_and_codecs(run_cli):
    done = run_cli("phone", "check", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["baresip"] and report["version"]
    assert report["modules"]["missing"] == []
    assert report["account"] is None and report["registered"] is None
    assert {"PCMA/8000/1", "PCMU/8000/1"} <= set(report["codecs"])


@pytest.mark.parametrize("args, message", [
    (["13812345678"], "is not a SIP URI"),
    (["+8613812345678"], "a number needs a SIP account"),
    (["sip:a@127.0.0.1", "--hangup-after", "-1"], "seconds out of range"),
])
def test_bad_call_arguments_give_one_line(run_cli, args, message):
    done = run_cli("phone", "call", *args)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("cati: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_existing_recording_is_never_overwritten(run_cli, tmp_path):
    target = tmp_path / "kept.wav"
    target.write_bytes(b"RIFF")
    done = run_cli("phone", "call", "sip:resp@127.0.0.1:5999", "--record", str(target))
    assert done.returncode == 1 and "exists already" in done.stderr
    assert target.read_bytes() == b"RIFF"


def test_interviewer_hangs_up_from_another_thread(workstation, voices):
    """The window's hang-up button: a ringing call given up is no_answer; an answered call
    hung up ends with its talk time, and the window heard each step as it happened."""
    import threading

    from cati.telephony.call import CallControl

    for mode, after, outcome in (("ring", 1.0, "no_answer"), ("auto", 1.5, "answered")):
        control, heard = CallControl(), []

        def progress(kind, at, heard=heard, control=control, after=after):
            heard.append(kind)
            if kind == ("ringing" if after == 1.0 else "answered"):
                threading.Timer(after, control.hang_up).start()

        with Respondent(mode, play=voices["interviewer"] if mode == "auto" else None) as resp:
            result = place_call(workstation, resp.uri, no_answer_after=20, control=control,
                                on_progress=progress)
        assert result.outcome == outcome
        if outcome == "answered":
            assert heard == ["ringing", "answered", "ended"]
            assert abs(result.talk_s - after) < 0.3
        else:
            assert heard == ["ringing", "ended"] and abs(result.ring_s - after) < 0.3
