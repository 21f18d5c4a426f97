"""Alarms against a real local HTTP receiver and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from aquaflag.alarms import Alarms, open_alarms  # noqa: E402
from aquaflag.config import parse  # noqa: E402
from aquaflag.ingest import ingest  # noqa: E402
from aquaflag.store import open_store  # noqa: E402

PASSWORD_ENV = "AQUAFLAG_TEST_SMTP_PASSWORD"


def qc_text(hook: str, smtp_port: int | None = None, *, retries: int = 2, timeout: float = 2.0) -> str:
    mail = f'email = ["duty@example.org"]\n' if smtp_port else ""
    notify = (f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nfrom = "qc@example.org"\n'
              f'user = "aquaflag"\npassword_env = "{PASSWORD_ENV}"\n') if smtp_port else ""
    return f"""
[[rule]]
name = "range"
method = "gross_range"
severity = "fail"

[[rule]]
name = "stuck"
method = "flat_line"
window = "1h"

[[alarm]]
name = "temperature fails"
when = "fail"
variable = "temperature"
webhook = "{hook}"
{mail}
[[alarm]]
name = "stuck sonde"
when = "rule"
rule = "stuck"
webhook = "{hook}"

[[alarm]]
name = "silent"
when = "no_data"
after = 4
webhook = "{hook}"

[notify]
{notify}timeout = {timeout}
retries = {retries}
backoff = 0.05
"""


def frame(start: str, n: int, temp=None, do=None) -> pd.DataFrame:
    idx = pd.date_range(start, periods=n, freq="15min", name="time")
    rng = np.random.default_rng(abs(hash(start)) % 2**32)
    t = np.round(15 + rng.normal(0, 0.3, n), 2) if temp is None else np.asarray(temp, float)
    d = np.round(9 + rng.normal(0, 0.2, n), 2) if do is None else np.asarray(do, float)
    return pd.DataFrame({"temp(A)": t, "do(A)": d}, index=idx)


def run(store, qc, data, alarms):
    done = ingest(store, data, qc)
    return alarms.after_ingest(done)


def test_fail_opens_once_is_not_repeated_and_resolves(tmp_path, receiver, mailbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    qc = parse(qc_text(receiver.url, mailbox.port))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    assert run(store, qc, frame("2021-06-01 00:00", 8), alarms) == []
    bad = frame("2021-06-01 02:00", 4, temp=[15.1, 99.0, 15.2, 15.0])
    events = run(store, qc, bad, alarms)
    assert [(e.alarm, e.series, e.state) for e in events] == [("temperature fails", "temp(A)", "open")]
    assert events[0].ok and "99" in events[0].message and "range" in events[0].message
    # the webhook got the JSON, the mailbox the e-mail (logged in with the password from the environment)
    assert len(receiver.received) == 1
    body = receiver.received[0].body
    assert body["state"] == "open" and body["series"] == "temp(A)" and body["details"]["count"] == 1
    assert body["text"].startswith("[aquaflag] OPEN temperature fails")
    assert len(mailbox.messages) == 1 and mailbox.logins == [("aquaflag", True)]
    rcpt, msg = mailbox.messages[0]
    assert rcpt == ["duty@example.org"] and msg["Subject"] == "[aquaflag] OPEN: temperature fails - temp(A)"
    assert "99" in msg.get_content()
    # still failing: no repeat while open
    assert run(store, qc, frame("2021-06-01 03:00", 2, temp=[99.0, 15.0]), alarms) == []
    assert len(receiver.received) == 1
    # a clean batch resolves it
    events = run(store, qc, frame("2021-06-01 03:30", 4), alarms)
    assert [(e.state, e.series) for e in events] == [("resolved", "temp(A)")]
    assert receiver.received[-1].body["state"] == "resolved" and len(mailbox.messages) == 2
    log = store.alarm_log()
    assert list(log["state"]) == ["open", "resolved"]
    sent = log["delivered"][0]["targets"]
    assert sent[f"webhook {receiver.url}"]["ok"] and sent["email duty@example.org"]["ok"]
    assert open_alarms(store).empty


def test_a_stretch_detector_raises_a_rule_alarm(tmp_path, receiver):
    qc = parse(qc_text(receiver.url))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    run(store, qc, frame("2021-06-01 00:00", 8), alarms)
    events = run(store, qc, frame("2021-06-01 02:00", 8, do=[8.5] * 8), alarms)
    assert [(e.alarm, e.series, e.state) for e in events] == [("stuck sonde", "do(A)", "open")]
    assert "stuck" in events[0].message and receiver.received[-1].body["kind"] == "rule"
    assert list(open_alarms(store)["key"]) == ["stuck sonde|do(A)"]


def test_no_data_opens_on_the_periodic_check_and_resolves_when_values_arrive(tmp_path, receiver):
    qc = parse(qc_text(receiver.url))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    run(store, qc, frame("2021-06-01 00:00", 8).tz_localize("UTC"), alarms)
    last = pd.Timestamp("2021-06-01 01:45", tz="UTC")
    assert alarms.check(now=last + pd.Timedelta("59min")) == []  # 4 x 15 min allowed
    events = alarms.check(now=last + pd.Timedelta("61min"))
    assert sorted((e.series, e.state) for e in events) == [("do(A)", "open"), ("temp(A)", "open")]
    assert "allowed 1 h = 4 x 15 min" in events[0].message
    assert alarms.check(now=last + pd.Timedelta("3h")) == []  # open: no repeat
    events = alarms.after_ingest(ingest(store, frame("2021-06-01 05:00", 1).tz_localize("UTC"), qc),
                                 now=pd.Timestamp("2021-06-01 05:05", tz="UTC"))
    assert sorted((e.series, e.state) for e in events) == [("do(A)", "resolved"), ("temp(A)", "resolved")]
    assert [b.body["state"] for b in receiver.received] == ["open", "open", "resolved", "resolved"]


def test_naive_times_are_local_to_the_alarm_timezone(tmp_path, receiver):
    text = qc_text(receiver.url).replace('after = 4\n', 'after = "2h"\ntimezone = "Asia/Seoul"\n')
    qc = parse(text)
    store = open_store(tmp_path / "qc.sqlite")
    ingest(store, frame("2021-06-01 09:00", 1), qc)  # 09:00 in Seoul = 00:00 UTC
    alarms = Alarms(store, qc)
    assert alarms.check(now=pd.Timestamp("2021-06-01 01:59", tz="UTC")) == []
    assert len(alarms.check(now=pd.Timestamp("2021-06-01 02:01", tz="UTC"))) == 2


def test_a_failed_attempt_is_retried_with_backoff(tmp_path, receiver):
    qc = parse(qc_text(receiver.url, retries=2))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    run(store, qc, frame("2021-06-01 00:00", 4), alarms)
    receiver.fail_next = 2
    events = run(store, qc, frame("2021-06-01 01:00", 1, temp=[80.0]), alarms)
    assert events[0].ok and events[0].delivered[f"webhook {receiver.url}"]["attempts"] == 3
    assert receiver.attempts == 3 and len(receiver.received) == 1


def test_a_receiver_that_does_not_answer_times_out_and_is_retried(tmp_path, receiver):
    qc = parse(qc_text(receiver.url, retries=1, timeout=0.3))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    run(store, qc, frame("2021-06-01 00:00", 4), alarms)
    receiver.hang_next, receiver.hang = 1, 1.0
    events = run(store, qc, frame("2021-06-01 01:00", 1, temp=[80.0]), alarms)
    outcome = events[0].delivered[f"webhook {receiver.url}"]
    assert outcome["ok"] and outcome["attempts"] == 2


def test_delivery_failures_never_stop_ingest_and_are_delivered_later(tmp_path, receiver, mailbox, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)  # the SMTP password is missing
    qc = parse(qc_text(receiver.url, mailbox.port, retries=1))
    store = open_store(tmp_path / "qc.sqlite")
    alarms = Alarms(store, qc)
    run(store, qc, frame("2021-06-01 00:00", 4), alarms)
    receiver.fail_next = 100  # the receiver is down for now
    data = frame("2021-06-01 01:00", 2, temp=[80.0, 81.0])
    events = run(store, qc, data, alarms)  # no exception
    assert len(store.values("temp(A)")) == 6  # the data are stored ...
    assert store.flags("temp(A)").iloc[-1, 0] == 4  # ... and judged
    (event,) = events
    hook, mail = event.delivered[f"webhook {receiver.url}"], event.delivered["email duty@example.org"]
    assert not hook["ok"] and hook["error"] == "HTTP 503 Service Unavailable" and hook["attempts"] == 2
    assert not mail["ok"] and f"{PASSWORD_ENV} (the SMTP password) is not set" in mail["error"]
    assert mail["attempts"] == 1  # not worth a retry
    logged = store.alarm_log()
    assert list(logged["state"]) == ["open"] and not logged["delivered"][0]["targets"][f"webhook {receiver.url}"]["ok"]
    # the receiver is back and the password set: the next round (here of a restarted process,
    # which finds what is undelivered in the store's log) sends the open alarm again
    receiver.fail_next = 0
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    alarms = Alarms(store, qc)
    events = alarms.check(now=pd.Timestamp("2021-06-01 01:20"))
    assert [(e.state, e.redelivery, e.ok) for e in events] == [("open", True, True)]
    assert receiver.received[-1].body["redelivery"] is True and len(mailbox.messages) == 1
    assert alarms.check(now=pd.Timestamp("2021-06-01 01:20")) == []  # delivered: nothing pending
    assert list(store.alarm_log()["state"]) == ["open", "open"]


def test_a_dead_target_is_tried_once_per_round(tmp_path):
    from .servers import free_port

    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    qc = parse(qc_text(dead, retries=1))
    store = open_store(tmp_path / "qc.sqlite")
    data = frame("2021-06-01 00:00", 4)
    data["temp(B)"] = data["temp(A)"]
    data.iloc[-1, :] = 99.0
    naps = []
    alarms = Alarms(store, qc, sleep=naps.append)
    events = alarms.after_ingest(ingest(store, data, qc))
    assert len(events) == 2
    first, second = (e.delivered[f"webhook {dead}"] for e in events)
    assert first["attempts"] == 2 and "cannot connect" in first["error"] and naps == [0.05]
    assert second["attempts"] == 0 and second["error"].startswith("not tried")
