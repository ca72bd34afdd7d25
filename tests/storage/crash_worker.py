"""A process that uses timers as fast as it can, for the SIGKILL test (tests/test_crash.py).

    python -m tests.storage.crash_worker DB_PATH ACK_PATH SEED

After every action returns it appends one line to ACK_PATH: the state as the timers use cases returned it,
which is what the window shows ("acknowledged"), and prints one line to standard output (the first one,
"ready", before any action). The test kills this process after a random number of them and checks that
the database still holds everything in the last complete acknowledged line.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import SystemClock, to_text
from therapytimer.core.session import Session, SessionError, Who

TIMED = ("97110", "97112", "97140", "97530")


def snapshot(sessions: list[Session]) -> dict[str, Any]:
    return {
        s.id: {
            "state": s.state.value,
            "codes": [c.code for c in s.codes],
            "segments": [[g.id, g.code, g.who.value, to_text(g.start), g.end and to_text(g.end)] for g in s.segments],
            "corrections": [[c.id, c.code, c.minutes, c.assistant_minutes, c.reason] for c in s.corrections],
        }
        for s in sessions
    }


def main() -> int:
    db_path, ack_path, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    clock = SystemClock()
    store = open_workspace(db_path, clock).timers
    ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def acknowledge() -> None:
        state = {"at": to_text(clock.now()), "sessions": snapshot(store.sessions_on(clock.today()))}
        os.write(ack, (json.dumps(state) + "\n").encode())
        print("ack", flush=True)

    acknowledge()
    while True:
        open_ids = [s.id for s in store.open_sessions()]
        roll = rng.random()
        try:
            if not open_ids or roll < 0.08:
                store.open_session(f"P{rng.randrange(100)}", rng.choice(list(Discipline)))
            elif roll < 0.5:
                store.start(rng.choice(open_ids), rng.choice(TIMED), exclusive=rng.random() < 0.8)
            elif roll < 0.7:
                store.pause(rng.choice(open_ids), rng.choice(TIMED))
            elif roll < 0.8:
                store.set_who(rng.choice(open_ids), rng.choice(TIMED), rng.choice(list(Who)))
            elif roll < 0.9:
                store.correct(rng.choice(open_ids), rng.choice(TIMED), rng.randrange(60), reason=f"r{rng.random()}")
            elif roll < 0.97:
                store.add_service(rng.choice(open_ids), "97150", rng.randrange(30))
            else:
                store.close(rng.choice(open_ids))
        except SessionError:
            continue
        acknowledge()


if __name__ == "__main__":
    raise SystemExit(main())
