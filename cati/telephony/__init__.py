"""The workstation's softphone: baresip started and driven by cati (no Qt here).

baresip.py: the agent (config directory, ctrl_tcp protocol, start/stop); call.py: one call to
its outcome; outcomes.py: SIP endings to outcomes and proposed dispositions; recording.py: one
WAV per call; dialing.py: the digits to dial; settings.py: the workstation's phone.json.
"""
