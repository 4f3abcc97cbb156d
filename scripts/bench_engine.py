#!/usr/bin/env python3
"""Benchmark the interview engine. Prints one JSON line.

- load_s: time to load (read, compile, check with pyxform) the shipped questionnaire and a
  generated 300-question form;
- per-answer advance latency on the 300-question form: answer the current question, then build
  what the screen shows next (label, choices, value), over many random interviews;
- the same on a 30-question form of the same shape, in the same run: the ratio shows whether an
  advance grows with the size of the form (it should not).
Target: p95 under 2 ms on the 300-question form.

Usage: scripts/bench_engine.py [--interviews N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cati.questionnaire.engine import InterviewEngine  # noqa: E402
from cati.questionnaire.loader import load_form  # noqa: E402
from cati.questionnaire.walk import _candidate, _numbers_in_form  # noqa: E402

TARGET_P95_MS = 2.0
CLOCK = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def generated_form(questions: int) -> str:
    """A form shaped like real surveys: selects with skips, numbers with constraints,
    multi-selects, text, a calculate every tenth row, groups."""
    rows = ["| survey |", "| | type | name | label | relevant | constraint | calculation | required |"]
    for n in range(questions):
        if n % 50 == 0:
            rows.append(f"| | begin group | g{n} | Section {n} | | | | |")
        kind = n % 5
        relevant = f"${{q{n - 3}}} != '3'" if n >= 3 and (n - 3) % 5 == 0 else ""
        if kind == 0:
            rows.append(f"| | select_one five | q{n} | Question {n}: ${{q{max(n - 5, 0)}}} |"
                        f" {relevant} | | | yes |")
        elif kind == 1:
            rows.append(f"| | integer | q{n} | How many {n}? | {relevant} | . >= 0 and . <= 120 |"
                        " | yes |")
        elif kind == 2:
            rows.append(f"| | select_multiple five | q{n} | Which {n}? | {relevant} | | | yes |")
        elif kind == 3:
            rows.append(f"| | text | q{n} | Say {n} | {relevant} | | | |")
        else:
            rows.append(f"| | decimal | q{n} | Amount {n} | {relevant} | . < 1000 | | yes |")
        if n % 10 == 9:
            rows.append(f"| | calculate | c{n} | | | | if(${{q{n - 8}}} > 17, 'adult', 'minor') | |")
        if n % 50 == 49:
            rows.append("| | end group | | | | | | |")
    if questions % 50:
        rows.append("| | end group | | | | | | |")
    rows += ["| choices |", "| | list_name | name | label |"]
    rows += [f"| | five | {i} | Option {i} |" for i in range(1, 6)]
    rows += ["| settings |", "| | form_id | version |", f"| | bench{questions} | 1 |"]
    return "\n".join(rows) + "\n"


def time_load(source, name: str) -> tuple[float, object]:
    started = time.perf_counter()
    form = load_form(source, name)
    return time.perf_counter() - started, form


def advance_latencies(form, interviews: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    numbers = _numbers_in_form(form)
    latencies = []
    for number in range(interviews):
        engine = InterviewEngine.start(form, seed=number, clock=lambda: CLOCK)
        while not engine.finished and (item := engine.current_item) is not None:
            value = _candidate(engine, item, rng, numbers, 0) if item.is_question else None
            if item.is_question and engine.validate(value)[1] is not None:
                value = _candidate(engine, item, rng, numbers, 50)
            started = time.perf_counter()
            error = engine.answer(value)
            engine.current()
            elapsed = time.perf_counter() - started
            if error is None:
                latencies.append(elapsed)
    return latencies


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "answers": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 4),
        "max_ms": round(ordered[-1] * 1000, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    shipped_s, _ = time_load(ROOT / "data/questionnaires/public_safety.xlsx", None)
    big_s, big = time_load(generated_form(300), "bench300.md")
    small_s, small = time_load(generated_form(30), "bench30.md")
    big_stats = summary(advance_latencies(big, args.interviews, args.seed))
    small_stats = summary(advance_latencies(small, args.interviews * 10, args.seed))
    result = {
        "load_s": {"public_safety": round(shipped_s, 4), "generated_300": round(big_s, 4),
                   "generated_30": round(small_s, 4)},
        "advance_300": big_stats,
        "advance_30": small_stats,
        "p95_ratio_300_vs_30": round(big_stats["p95_ms"] / small_stats["p95_ms"], 2),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": big_stats["p95_ms"] < TARGET_P95_MS,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
