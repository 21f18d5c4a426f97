"""Alarms of always-on QC: tell someone when a value fails, a sonde goes silent, a rule fires.

The ``[[alarm]]`` tables of a QC configuration (:mod:`aquaflag.config`) say
when to raise an alarm and where to send it; this module evaluates them and
delivers the messages. It sits beside :mod:`aquaflag.ingest` (above the store
and the engine, below the command line) and never changes data: it reads what
a batch judged (:class:`aquaflag.ingest.Ingested`) and what the store holds.

Model
-----
* An alarm is **keyed** by its name and the series: ``"DO fails|do(Mun-Ui)"``.
  A key is *open* or *resolved*; its state is the latest event of the store's
  append-only alarm log (:meth:`aquaflag.store.Store.record_alarm`), so it
  survives restarts and is shared by every process using the store.
* **Conditions**

  - ``when = "fail"``: the values a batch judged for the series (the new ones
    and those it revised) include a FAIL (QARTOD 4).
  - ``when = "rule"``: one of the named rules flagged one of them.
  - ``when = "no_data"``: the series' newest value is older than ``after``
    (a number of the series' sampling intervals — the median step of its last
    100 stored values — or a time span), counted on the wall clock from its
    time stamp (naive time stamps are in ``timezone``, default this machine's).

* **Transitions**: a condition that holds on a key that is not open opens it
  and sends an "open" message; while open, nothing more is sent (no repeats).
  A ``fail``/``rule`` key is resolved when a later batch brings new values of
  the series and none of the values it judged trips the condition; a
  ``no_data`` key when a value newer than ``after`` ago is stored. A "resolved"
  message is sent then.
* **Delivery**: a JSON POST to each ``webhook`` and one e-mail per event to the
  ``email`` recipients through the ``[notify]`` SMTP server. Each attempt has a
  ``timeout``; a failed attempt (connection refused, time-out, HTTP 5xx/408/429,
  SMTP error) is retried ``retries`` times after ``backoff``, 2 × ``backoff``,
  ... seconds; a target that failed all its attempts is not tried again in the
  same round. What was sent where, or the error, is recorded with the event.
  An event with an undelivered target is sent again (to that target) in the
  next round while its state holds, and recorded again.
* **Never in the way of data**: alarms are evaluated after a batch is committed
  (data and flags are in the store before any message is tried); a delivery
  error is recorded, never raised. Delivery is *at least once*: a process
  killed between sending and recording sends again after a restart.

Use :func:`after_ingest` after each :func:`aquaflag.ingest.ingest` and
:func:`check` periodically (``aquaflag watch`` does both); or an
:class:`Alarms` object to keep its caches between rounds.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._version import __version__
from .config import AlarmSpec, Config, Notify
from .variables import VARIABLES, SeriesInfo, describe

__all__ = ["Alarms", "Event", "after_ingest", "check", "open_alarms", "post_webhook", "send_email"]

#: States of an alarm key.
OPEN, RESOLVED = "open", "resolved"
#: HTTP statuses worth another attempt (besides 5xx).
_RETRY_STATUS = (408, 425, 429)
#: Values used to estimate a series' sampling interval.
_INTERVAL_VALUES = 100


@dataclass
class Event:
    """One alarm message: a key opened or resolved.

    Attributes
    ----------
    key : str
        ``"<alarm name>|<series>"``.
    alarm : str
        The alarm's name.
    series : str
        The series it is about.
    kind : str
        ``fail``, ``no_data`` or ``rule``.
    state : str
        ``open`` or ``resolved``.
    message : str
        One line for people.
    details : dict
        Machine-readable facts (times, values, rules).
    delivered : dict
        Per target (``webhook <url>``, ``email <addresses>``): ``{"ok": True,
        "attempts": n, ...}`` or ``{"ok": False, "error": "...", "attempts": n}``.
        The store's log records ``{"targets": delivered, "details": details}``
        (plus ``"redelivery": true`` for a new attempt).
    redelivery : bool
        Whether this is a new attempt to send an earlier event.
    log_error : str or None
        Why the event could not be recorded in the store's alarm log (None: it was).
    """

    key: str
    alarm: str
    series: str
    kind: str
    state: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    delivered: dict[str, Any] = field(default_factory=dict)
    redelivery: bool = False
    log_error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every target received it."""
        return all(d.get("ok") for d in self.delivered.values())

    def payload(self, store_url: str | None = None) -> dict[str, Any]:
        """The JSON body POSTed to a webhook (``text`` for chat tools that show only it)."""
        return {"text": f"[aquaflag] {self.state.upper()} {self.alarm}: {self.message}",
                "alarm": self.alarm, "key": self.key, "series": self.series, "kind": self.kind,
                "state": self.state, "message": self.message, "details": self.details,
                "store": store_url, "redelivery": self.redelivery,
                "sent_at": pd.Timestamp.now(tz="UTC").isoformat(), "aquaflag": __version__}


# --------------------------------------------------------------------------------- delivery
class DeliveryError(Exception):
    """One delivery attempt failed (``retry``: whether another attempt may succeed)."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def post_webhook(url: str, payload: Mapping[str, Any], *, timeout: float) -> int:
    """POST ``payload`` as JSON to ``url``; return the HTTP status (2xx).

    Raises
    ------
    DeliveryError
        On a connection error, a time-out or a non-2xx status (``retry`` is
        False for client errors other than 408/425/429).
    """
    import socket
    import urllib.error
    import urllib.request

    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"aquaflag/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only: config)
            response.read(1 << 16)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}",
                            retry=exc.code >= 500 or exc.code in _RETRY_STATUS) from None
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"no answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise DeliveryError(f"no answer within {timeout:g} s") from None
        raise DeliveryError(f"cannot connect: {reason}") from None
    except (OSError, ValueError) as exc:  # reset connections, bad URLs
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def send_email(notify: Notify, to: Sequence[str], subject: str, body: str, *,
               timeout: float | None = None) -> None:
    """Send one plain-text e-mail through the ``[notify]`` SMTP server.

    The password (when ``user`` is set) is read from the environment variable
    ``notify.password_env`` now, never from the configuration file.

    Raises
    ------
    DeliveryError
        On a connection, TLS, login or SMTP error.
    """
    import smtplib
    import socket
    import ssl
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    if not notify.smtp_host:
        raise DeliveryError("no smtp_host in [notify]", retry=False)
    password = None
    if notify.user:
        if not notify.password_env:
            raise DeliveryError("[notify] user is set but password_env is not", retry=False)
        password = os.environ.get(notify.password_env)
        if password is None:
            raise DeliveryError(f"environment variable {notify.password_env} (the SMTP password) "
                                "is not set", retry=False)
    message = EmailMessage()
    message["From"] = notify.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=notify.sender.rpartition("@")[2] or None)
    message.set_content(body)
    timeout = notify.timeout if timeout is None else timeout
    try:
        if notify.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(notify.smtp_host, notify.smtp_port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(notify.smtp_host, notify.smtp_port, timeout=timeout)
        with client:
            if notify.starttls:
                client.starttls(context=ssl.create_default_context())
            if notify.user:
                client.login(notify.user, password or "")
            refused = client.send_message(message)
        if refused:
            raise DeliveryError(f"refused recipients: {', '.join(sorted(refused))}", retry=False)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login refused ({exc.smtp_code})", retry=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"refused recipients: {', '.join(sorted(exc.recipients))}", retry=False) from None
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"SMTP server {notify.smtp_host}:{notify.smtp_port}: no answer within "
                            f"{timeout:g} s") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"SMTP server {notify.smtp_host}:{notify.smtp_port}: "
                            f"{type(exc).__name__}: {exc}") from None


def _attempt(send: Callable[[], Any], notify: Notify, sleep: Callable[[float], None]) -> dict[str, Any]:
    """Call ``send`` with retries and backoff; the outcome as recorded in the log."""
    attempts, wait = 0, notify.backoff
    while True:
        attempts += 1
        t0 = time.monotonic()
        try:
            status = send()
        except DeliveryError as exc:
            if not exc.retry or attempts > notify.retries:
                return {"ok": False, "error": str(exc), "attempts": attempts}
            sleep(wait)
            wait *= 2
            continue
        out = {"ok": True, "attempts": attempts, "seconds": round(time.monotonic() - t0, 3)}
        if status is not None:
            out["status"] = status
        return out


# --------------------------------------------------------------------------------- evaluation
class Alarms:
    """The alarms of one configuration over one store, evaluated round by round.

    Parameters
    ----------
    store : Store, path or URL
        The QC store (:func:`aquaflag.store.open_store`).
    config : Config or path
        The QC configuration; its ``[[alarm]]`` and ``[notify]`` tables are used.
    sleep : callable, optional
        How to wait between delivery attempts (``time.sleep``).

    Notes
    -----
    One process should evaluate a store's alarms at a time (``aquaflag watch``);
    two at once may both open the same key (two messages, two log rows).
    """

    def __init__(self, store, config, *, sleep: Callable[[float], None] = time.sleep) -> None:
        if not hasattr(store, "record_alarm"):
            from .store import open_store

            store = open_store(store)
        if not isinstance(config, Config):
            from .config import load

            config = load(config)
        self.store = store
        self.config = config
        self.sleep = sleep
        self._interval: dict[str, int | None] = {}
        self._infos: dict[str, SeriesInfo] = {}
        self._marks: dict[str, int] = {}  # newest hit time reported, per fail/rule key
        self._undelivered: dict[str, Event] = {}  # latest event of a key, with the targets it missed
        self._log_loaded = False

    @property
    def specs(self) -> tuple[AlarmSpec, ...]:
        return self.config.alarms

    # ------------------------------------------------------------------ rounds
    def after_ingest(self, ingested, *, now=None) -> list[Event]:
        """Evaluate the alarms on what one batch judged; deliver and record the events.

        Parameters
        ----------
        ingested : Ingested
            What :func:`aquaflag.ingest.ingest` returned.
        now : timestamp, optional
            The wall clock (for ``no_data``; default: now).

        Returns
        -------
        list of Event
            The events of this round (open, resolved, and redeliveries).
        """
        if not self.specs:
            return []
        states = self.store.alarm_states()
        events: list[Event] = []
        result = getattr(ingested, "result", None)
        fresh = {c for c, n in (getattr(ingested, "new_values", None) or {}).items() if n}
        if result is not None and any(s.when in ("fail", "rule") for s in self.specs):
            batch = _Batch(result)
            for spec in self.specs:
                if spec.when in ("fail", "rule"):
                    events.extend(self._batch_events(spec, batch, fresh, states))
        if fresh:
            no_data = [s for s in self.specs if s.when == "no_data"]
            open_keys = {k for k, s in states.items() if s["state"] == OPEN and s["kind"] == "no_data"}
            if no_data and any(_key(s.name, c) in open_keys for s in no_data for c in fresh):
                events.extend(self._no_data_events(no_data, states, now, only=fresh))
        return self._send(events, states)

    def check(self, *, now=None) -> list[Event]:
        """The periodic round: ``no_data`` alarms of every series, and redeliveries."""
        if not self.specs:
            return []
        states = self.store.alarm_states()
        no_data = [s for s in self.specs if s.when == "no_data"]
        events = self._no_data_events(no_data, states, now) if no_data else []
        return self._send(events, states)

    # ------------------------------------------------------------------ conditions
    def _batch_events(self, spec: AlarmSpec, batch: "_Batch", fresh: set[str], states) -> list[Event]:
        out = []
        result = batch.result
        times = batch.times
        for col in result.columns:
            info = result.series.get(col)
            if info is None or not spec.selects(info):
                continue
            key = _key(spec.name, col)
            is_open = states.get(key, {}).get("state") == OPEN
            hits, rules = self._hits(spec, batch, col)
            if not hits.size and not (is_open and col in fresh):
                continue
            mark = self._watermark(key)
            new_hits = hits[times.asi8[hits] > mark] if mark is not None else hits
            if new_hits.size:
                self._marks[key] = int(times.asi8[new_hits[-1]])
            if not is_open:
                if new_hits.size:
                    event = self._open_batch(spec, col, batch, new_hits, rules)
                    out.append(event)
                continue
            if col in fresh and not new_hits.size:
                what = "no FAIL value" if spec.when == "fail" else f"no flag by {', '.join(spec.rules)}"
                t = times[batch.present(col)]
                details = {"through": _iso(t.max()), "opened": states[key]["message"]}
                if mark is not None:
                    details["last_hit"] = _iso(_at(mark, times.tz))
                out.append(Event(key, spec.name, col, spec.when, RESOLVED,
                                 f"{col}: resolved, {what} in the values judged up to {_fmt(t.max())}",
                                 details))
        return out

    def _watermark(self, key: str) -> int | None:
        """The newest hit time (ns) already reported for ``key``."""
        self._load_log()
        return self._marks.get(key)

    def _load_log(self) -> None:
        """Read the store's alarm log once: hit watermarks, and the events not fully delivered."""
        if self._log_loaded:
            return
        self._log_loaded = True
        log = self.store.alarm_log()
        latest = {}
        for row in log.itertuples(index=False):
            sent = row.delivered if isinstance(row.delivered, Mapping) else {}
            hit = (sent.get("details") or {}).get("last_hit")
            if hit:
                self._marks[row.key] = max(self._marks.get(row.key, -2**63), pd.Timestamp(hit).value)
            latest[row.key] = row
        for key, row in latest.items():
            sent = row.delivered if isinstance(row.delivered, Mapping) else {}
            failed = {t: d for t, d in (sent.get("targets") or {}).items()
                      if isinstance(d, Mapping) and d.get("ok") is False}
            if failed:
                details = dict(sent.get("details") or {})
                self._undelivered[key] = Event(key, key.split("|", 1)[0], row.series, row.kind, row.state,
                                               row.message, details, delivered=failed)

    @staticmethod
    def _hits(spec: AlarmSpec, batch: "_Batch", col: str) -> tuple[np.ndarray, list[str]]:
        """Positions in ``result.data`` where the alarm's condition holds, and the rules behind it."""
        result = batch.result
        present = batch.present(col)
        labels = result.labels_on(col)
        if spec.when == "fail":
            hit = (batch.codes(col) == 4) & present
        else:
            hit = np.zeros(present.size, dtype=bool)
            for label in spec.rules:
                if label in labels:
                    hit |= result.detections[(col, label)].mask
            hit &= present
        pos = np.flatnonzero(hit)
        rules = []
        if pos.size:
            for label in labels:
                det = result.detections[(col, label)]
                if spec.when == "rule" and label not in spec.rules:
                    continue
                if spec.when == "fail" and result.rule(label).severity != "fail" and det.grade is None:
                    continue
                if det.mask[pos].any():
                    rules.append(label)
        return pos, rules

    def _open_batch(self, spec: AlarmSpec, col: str, batch: "_Batch", pos: np.ndarray, rules: list[str]) -> Event:
        times = batch.times[pos]
        values = batch.values(col)[pos]
        what = "FAIL" if spec.when == "fail" else f"flagged by {', '.join(rules) or ', '.join(spec.rules)}"
        span = _fmt(times[0]) if len(times) == 1 else f"{_fmt(times[0])} - {_fmt(times[-1])}"
        message = (f"{col}: {len(pos)} value(s) {what} ({span}; last {values[-1]:g} at {_fmt(times[-1])}"
                   + (f"; rules: {', '.join(rules)}" if spec.when == "fail" and rules else "") + ")")
        shown = slice(-20, None)
        details = {"count": int(len(pos)), "rules": rules, "first": _iso(times[0]), "last": _iso(times[-1]),
                   "last_hit": _iso(times[-1]),
                   "values": [{"time": _iso(t), "value": float(v)} for t, v in zip(times[shown], values[shown])]}
        return Event(_key(spec.name, col), spec.name, col, spec.when, OPEN, message, details)

    def _no_data_events(self, specs: Sequence[AlarmSpec], states, now, only: Iterable[str] | None = None
                        ) -> list[Event]:
        catalog = self.store.series()
        if only is not None:
            catalog = catalog[catalog["name"].isin(set(only))]
        if catalog.empty:
            return []
        now_ts = pd.Timestamp.now(tz="UTC") if now is None else _utc(pd.Timestamp(now), None)
        infos = self._series_infos(catalog)
        out = []
        for spec in specs:
            for row in catalog.itertuples(index=False):
                name = str(row.name)
                if not spec.selects(infos[name]) or pd.isna(row.last):
                    continue
                limit = self._limit(spec, name)
                if limit is None:
                    continue  # fewer than two values: no sampling interval yet
                last = _utc(pd.Timestamp(row.last), spec.timezone)
                silent = now_ts - last
                key = _key(spec.name, name)
                is_open = states.get(key, {}).get("state") == OPEN
                allowed = _span(limit) + (f" = {spec.after_count} x {_span(limit // spec.after_count)}"
                                          if spec.after_count else "")
                details = {"last_value": _iso(row.last), "silent_s": round(silent.total_seconds()),
                           "allowed_s": round(limit / 1e9), "checked_at": now_ts.isoformat()}
                if silent.value > limit and not is_open:
                    out.append(Event(key, spec.name, name, "no_data", OPEN,
                                     f"{name}: no value since {_fmt(row.last)} ({_span(silent.value)}; "
                                     f"allowed {allowed})", details))
                elif silent.value <= limit and is_open:
                    out.append(Event(key, spec.name, name, "no_data", RESOLVED,
                                     f"{name}: resolved, values again (last {_fmt(row.last)})",
                                     dict(details, opened=states[key]["message"])))
        return out

    def _series_infos(self, catalog: pd.DataFrame) -> dict[str, SeriesInfo]:
        missing = [n for n in catalog["name"] if n not in self._infos]
        if missing:
            known = {v.key: v for v in VARIABLES}
            given: dict[str, SeriesInfo] = {}
            for row in catalog[catalog["name"].isin(missing)].itertuples(index=False):
                name = str(row.name)
                given[name] = SeriesInfo(column=name, name=str(row.variable_name or name),
                                         variable=known.get(str(row.variable)),
                                         station=str(row.station) if row.station else None,
                                         unit=str(row.unit) if row.unit else None, source="file")
            self._infos.update(describe(missing, given=given, mapping=self.config.mapping))
        return self._infos

    def _limit(self, spec: AlarmSpec, name: str) -> int | None:
        """The silence allowed for ``name`` (ns)."""
        if spec.after_ns is not None:
            return int(spec.after_ns)
        if name not in self._interval or self._interval[name] is None:
            t = self.store.values(name, last=_INTERVAL_VALUES).index
            steps = np.diff(t.asi8) if len(t) > 1 else np.empty(0)
            steps = steps[steps > 0]
            self._interval[name] = int(np.median(steps)) if steps.size else None
        interval = self._interval[name]
        return None if interval is None else int(spec.after_count or 1) * interval

    # ------------------------------------------------------------------ delivery
    def _send(self, events: list[Event], states) -> list[Event]:
        """Deliver new events and pending redeliveries; record each; return them."""
        events = events + self._redeliveries(states, {e.key for e in events})
        if not events:
            return []
        by_name = {s.name: s for s in self.specs}
        dead: dict[str, str] = {}  # targets that failed all attempts in this round
        store_url = getattr(self.store, "url", None)
        for event in events:
            spec = by_name[event.alarm]
            targets = self._targets(spec)
            if event.redelivery:
                targets = [t for t in targets if t[0] in event.delivered]
                event.delivered = {}
            for label, send in targets:
                if label in dead:
                    event.delivered[label] = {"ok": False, "attempts": 0,
                                              "error": f"not tried: failed earlier in this round ({dead[label]})"}
                    continue
                outcome = _attempt(lambda: send(event, store_url), self.config.notify, self.sleep)
                event.delivered[label] = outcome
                if not outcome["ok"]:
                    dead[label] = outcome["error"]
            record: dict[str, Any] = {"targets": event.delivered, "details": event.details}
            if event.redelivery:
                record["redelivery"] = True
            try:
                self.store.record_alarm(event.key, series=event.series, kind=event.kind, state=event.state,
                                        message=event.message, delivered=record)
            except Exception as exc:  # the log is best effort: never lose the batch for it
                event.log_error = f"{type(exc).__name__}: {exc}"
            missed = {t: d for t, d in event.delivered.items() if not d.get("ok")}
            if missed:
                self._undelivered[event.key] = Event(event.key, event.alarm, event.series, event.kind,
                                                     event.state, event.message, dict(event.details),
                                                     delivered=missed)
            else:
                self._undelivered.pop(event.key, None)
        return events

    def _targets(self, spec: AlarmSpec) -> list[tuple[str, Callable[[Event, str | None], Any]]]:
        notify = self.config.notify
        out: list[tuple[str, Callable[[Event, str | None], Any]]] = []
        for url in spec.webhooks:
            def via_url(e: Event, s: str | None, url: str = url) -> int:
                return post_webhook(url, e.payload(s), timeout=notify.timeout)
            out.append((f"webhook {url}", via_url))
        for env in spec.webhook_envs:
            def via_env(e, s, env=env):
                url = os.environ.get(env)
                if not url:
                    raise DeliveryError(f"environment variable {env} (a webhook URL) is not set", retry=False)
                return post_webhook(url, e.payload(s), timeout=notify.timeout)
            out.append((f"webhook ${env}", via_env))
        if spec.emails:
            to = list(spec.emails)
            out.append((f"email {', '.join(to)}",
                        lambda e, s: send_email(notify, to, _subject(e), _body(e, s))))
        return out

    def _redeliveries(self, states, fresh_keys: set[str]) -> list[Event]:
        """Events whose latest record missed a target (and no new event this round), to send again."""
        self._load_log()
        out = []
        names = {s.name for s in self.specs}
        for key, pending in list(self._undelivered.items()):
            if key in fresh_keys:
                continue
            now = states.get(key)
            if pending.alarm not in names or now is None or (now["state"], now["message"]) != (
                    pending.state, pending.message):
                del self._undelivered[key]  # superseded (or the alarm left the configuration)
                continue
            out.append(Event(key, pending.alarm, pending.series, pending.kind, pending.state, pending.message,
                             dict(pending.details), delivered=dict(pending.delivered), redelivery=True))
        return out


class _Batch:
    """A batch's Result as arrays, built once (``Result.flags`` makes a new frame on each access)."""

    def __init__(self, result) -> None:
        self.result = result
        self.times = result.data.index
        self._col = {c: j for j, c in enumerate(result.data.columns)}
        self._values = result.data.to_numpy(dtype=np.float64, na_value=np.nan)
        self._codes: np.ndarray | None = None

    def values(self, col: str) -> np.ndarray:
        return self._values[:, self._col[col]]

    def present(self, col: str) -> np.ndarray:
        return ~np.isnan(self.values(col))

    def codes(self, col: str) -> np.ndarray:
        codes = self._codes
        if codes is None:
            codes = self._codes = self.result.flags.to_numpy()
        return codes[:, self._col[col]]


def after_ingest(store, config, ingested, *, now=None) -> list[Event]:
    """Evaluate, deliver and record the alarms of one batch (see :class:`Alarms`)."""
    return Alarms(store, config).after_ingest(ingested, now=now)


def check(store, config, *, now=None) -> list[Event]:
    """The periodic round: ``no_data`` alarms and redeliveries (see :class:`Alarms`)."""
    return Alarms(store, config).check(now=now)


def open_alarms(store) -> pd.DataFrame:
    """The keys that are open now: ``key, series, kind, message, since``."""
    if not hasattr(store, "alarm_states"):
        from .store import open_store

        store = open_store(store)
    rows = [{"key": k, "series": s["series"], "kind": s["kind"], "message": s["message"], "since": s["since"]}
            for k, s in store.alarm_states().items() if s["state"] == OPEN]
    return pd.DataFrame(rows, columns=["key", "series", "kind", "message", "since"]).sort_values(
        "since", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------- helpers
def _key(alarm: str, series: str) -> str:
    return f"{alarm}|{series}"


def _subject(event: Event) -> str:
    return f"[aquaflag] {event.state.upper()}: {event.alarm} - {event.series}"


def _body(event: Event, store_url: str | None) -> str:
    lines = [event.message, "", f"alarm: {event.alarm} ({event.kind})", f"series: {event.series}",
             f"state: {event.state}"]
    if event.redelivery:
        lines.append("(sent again: an earlier attempt failed)")
    if store_url:
        lines.append(f"store: {store_url}")
    lines += ["", json.dumps(event.details, ensure_ascii=False, indent=2, default=str)]
    return "\n".join(lines)


def _utc(ts: pd.Timestamp, tz: str | None) -> pd.Timestamp:
    if ts.tz is not None:
        return ts.tz_convert("UTC")
    if tz:
        return ts.tz_localize(tz).tz_convert("UTC")
    return ts.tz_localize(_local_zone()).tz_convert("UTC")


def _local_zone():
    import datetime as _dt

    return _dt.datetime.now().astimezone().tzinfo


def _fmt(ts) -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%Y-%m-%d %H:%M") + (f" {ts.tzname()}" if ts.tz is not None else "")


def _at(ns: int, tz) -> pd.Timestamp:
    """The timestamp of ``ns`` (UTC ns when ``tz`` is given, as ``asi8`` of an aware index)."""
    return pd.Timestamp(ns, tz="UTC").tz_convert(tz) if tz is not None else pd.Timestamp(ns)


def _iso(ts) -> str:
    return pd.Timestamp(ts).isoformat()


def _span(ns: int) -> str:
    """``5400 s`` -> ``"1 h 30 min"``."""
    seconds = int(round(ns / 1e9))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p)

