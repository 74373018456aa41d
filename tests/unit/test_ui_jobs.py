"""A training whose browser session is gone stops by itself; Stop still works."""

from __future__ import annotations

import time

from ui import jobs


def _work(progress, stop, steps: int = 10_000) -> int:  # type: ignore[no-untyped-def]
    done = 0
    for done in range(steps):  # noqa: B007
        if stop():
            break
        progress(done)
        time.sleep(0.002)
    return done


def test_a_job_stops_once_its_session_has_been_gone_for_the_grace_period() -> None:
    alive = {"yes": True}
    job = jobs.start("t", _work, alive=lambda: alive["yes"], grace_s=0.5)
    time.sleep(1.5)
    assert job.running and not job.abandoned  # the session is there: it keeps going
    alive["yes"] = False
    job.wait(10)
    assert not job.running
    assert job.abandoned and job.stopped
    assert job.result < 9_999


def test_a_short_disconnect_does_not_stop_a_job() -> None:
    calls = {"n": 0}

    def flaky() -> bool:
        calls["n"] += 1
        return calls["n"] % 3 != 0  # gone now and then, never for long

    job = jobs.start("t", _work, alive=flaky, grace_s=5.0, steps=1500)
    job.wait(30)
    assert job.result == 1499 and not job.abandoned and not job.stopped


def test_stop_and_no_session_check() -> None:
    job = jobs.start("t", _work)
    time.sleep(0.2)
    job.stop()
    job.wait(10)
    assert job.stopped and not job.abandoned and job.result < 9_999
    assert jobs.session_alive_check() is None  # outside a Streamlit server nothing is checked
