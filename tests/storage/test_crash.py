"""Kill a real process with SIGKILL at random moments, many times: nothing it acknowledged is lost,
and running timers resume with the right time."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.storage.crash_worker import snapshot
from therapytimer.core.clock import SystemClock, from_text
from therapytimer.storage.store import Store

KILLS = 25

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")]


def _last_ack(path: Path) -> dict[str, Any] | None:
    lines = path.read_bytes().split(b"\n") if path.exists() else []
    complete = [line for line in lines[:-1] if line]  # the last piece may be a torn write
    return json.loads(complete[-1]) if complete else None


def _check(acked: dict[str, Any], stored: dict[str, Any]) -> None:
    for sid, a in acked["sessions"].items():
        assert sid in stored, f"acknowledged session {sid} lost"
        s = stored[sid]
        assert a["codes"] == s["codes"][: len(a["codes"])]
        if a["state"] == "closed":
            assert s["state"] == "closed"
        by_id = {g[0]: g for g in s["segments"]}
        for seg in a["segments"]:
            got = by_id.get(seg[0])
            assert got is not None, f"acknowledged segment {seg} lost"
            assert got[:4] == seg[:4]
            if seg[4] is not None:
                assert got[4] == seg[4], f"acknowledged stop of {seg} lost"
        assert s["corrections"][: len(a["corrections"])] == a["corrections"]
        assert len(s["segments"]) <= len(a["segments"]) + 2  # at most one action was in flight
        assert len(s["corrections"]) <= len(a["corrections"]) + 1


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    rng = random.Random(20261127)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    checked_running = 0
    for kill in range(KILLS):
        ack_path = tmp_path / f"ack-{kill}.jsonl"
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.storage.crash_worker", str(db), str(ack_path), str(kill)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert worker.stdout is not None
        for _ in range(rng.randint(1, 150)):  # its own signal: one line per acknowledged action, "ready" first
            worker.stdout.readline()
        worker.send_signal(signal.SIGKILL)
        _, err = worker.communicate()
        assert worker.returncode == -signal.SIGKILL, err.decode()
        acked = _last_ack(ack_path)
        assert acked is not None, "the worker acknowledged nothing; give it more time"
        clock = SystemClock()
        store = Store.open(db)
        try:
            sessions = store.sessions_on(clock.today())
            _check(acked, snapshot(sessions))
            acked_at = from_text(acked["at"])
            now = clock.now()
            for session in sessions:
                for seg in session.running():
                    # resumes from the stored start: at least as long as when it was acknowledged
                    elapsed = seg.seconds(now)
                    assert elapsed >= (acked_at - seg.start).total_seconds()
                    checked_running += 1
        finally:
            store.close()
    assert checked_running > 0
