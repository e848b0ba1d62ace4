"""Result parsing and the evaluators, on real processes."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from bbo.run.objective import (
    CommandEvaluator,
    PythonEvaluator,
    Result,
    interpret,
    parse_output,
    tail,
)


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ("log line\n0.25\n\n", Result(value=0.25)),
        ("-3e2", Result(value=-300.0)),
        ('{"loss": 1, "latency": 2.5}', Result(value={"loss": 1.0, "latency": 2.5})),
        ('{"samples": [1, 2.5]}', Result(samples=[1.0, 2.5])),
    ],
)
def test_parse_output_accepts_number_metrics_and_samples(stdout, expected):
    assert parse_output(stdout) == expected


@pytest.mark.parametrize(
    ("stdout", "reason"),
    [
        ("", "the command printed nothing on stdout; print the result last"),
        ("a\nb\nc\nd", "the command printed no number on its last line: 'b' | 'c' | 'd'"),
        (
            "{not json",
            "the last stdout line is not valid JSON (Expecting property name enclosed "
            "in double quotes): '{not json'",
        ),
        ('{"loss": "high"}', "the command returned metric 'loss' = 'high', not a number"),
        (
            '{"samples": [], "x": 1}',
            "the command returned {'samples': [], 'x': 1}: `samples` "
            "must be the only key, holding a non-empty list of numbers",
        ),
    ],
)
def test_parse_output_failures_say_why(stdout, reason):
    res = parse_output(stdout)
    assert res.failed and res.reason == reason


def test_interpret_python_values():
    assert interpret(np.float32(0.5)) == Result(value=0.5)
    assert interpret(3) == Result(value=3.0)
    assert interpret(True).failed  # a bool is not a measurement
    assert interpret(None).reason == (
        "the function returned None: expected a number, a mapping of metrics or {'samples': [...]}"
    )


def test_tail_keeps_the_last_lines_and_chars():
    text = "\n".join(f"line {i}" for i in range(100))
    assert tail(text).splitlines() == [f"line {i}" for i in range(80, 100)]
    assert tail("x" * 5000) == "x" * 2000


def test_command_template_and_python_resolution(tmp_path):
    ev = CommandEvaluator(["python", "-c", "print({a} * 2)", "{b}"], cwd=tmp_path)
    assert ev.argv({"a": 1.5, "b": "s"}) == [sys.executable, "-c", "print(1.5 * 2)", "s"]
    assert ev.evaluate(0, {"a": 1.5, "b": "s"}) == Result(value=3.0)


def test_command_gets_trial_id_env_and_cwd(tmp_path):
    code = (
        "import os; e = os.environ; print(len(os.getcwd()) + int(e['BBO_TRIAL_ID']) + int(e['K']))"
    )
    ev = CommandEvaluator(["python", "-c", code], cwd=tmp_path, env={"K": "1000"})
    assert ev.evaluate(7, {}) == Result(value=float(len(str(tmp_path)) + 7 + 1000))


def test_command_that_cannot_start(tmp_path):
    res = CommandEvaluator(["/no/such/program"], cwd=tmp_path).evaluate(0, {})
    assert res.failed and res.reason.startswith("cannot start '/no/such/program'")


def test_cancel_kills_running_commands_quickly(tmp_path):
    ev = CommandEvaluator(["sleep", "30"], cwd=tmp_path)
    out: list[Result] = []
    threads = [threading.Thread(target=lambda: out.append(ev.evaluate(0, {}))) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    start = time.monotonic()
    ev.cancel()
    for t in threads:
        t.join(10)
    assert time.monotonic() - start < 3
    assert out == [Result.failure("cancelled")] * 2
    assert ev.evaluate(1, {}) == Result.failure("cancelled")


def test_python_worker_replaced_after_timeout(tmp_path):
    (tmp_path / "mod.py").write_text(
        "import os, time\ndef f(s):\n    time.sleep(s)\n    return {'pid': os.getpid()}\n"
    )
    ev = PythonEvaluator("mod:f", cwd=tmp_path, paths=[tmp_path], timeout=1.0)
    try:
        first = ev.evaluate(0, {"s": 0})
        assert ev.evaluate(1, {"s": 5}) == Result.failure("timed out after 1s")
        second = ev.evaluate(2, {"s": 0})
    finally:
        ev.close()
    assert isinstance(first.value, dict) and isinstance(second.value, dict)
    assert first.value["pid"] != second.value["pid"]  # the stuck worker was killed
