"""``[[alarm]]`` and ``[notify]`` tables: validated, errors name file, alarm, line and key."""

from __future__ import annotations

import pytest

from aquaflag.config import parse
from aquaflag.errors import ConfigError

RULES = """\
[[rule]]
name = "range"
method = "gross_range"

[[rule]]
name = "stuck"
method = "flat_line"
window = "3h"
"""


def test_alarm_tables_are_read():
    qc = parse(RULES + """
[[alarm]]
name = "DO fails"
when = "fail"
variable = "do"
station = ["A", "B"]
webhook = "http://127.0.0.1:8080/hook"
email = ["duty@example.org"]

[[alarm]]
name = "silent"
when = "no_data"
after = "2h"
webhook_env = "AQUAFLAG_HOOK"

[[alarm]]
name = "quiet"
when = "no_data"
webhook = "https://example.org/x"

[[alarm]]
name = "stuck"
when = "rule"
rule = "stuck"
columns = "do*"
webhook = "http://x/"

[[alarm]]
name = "off"
when = "fail"
enabled = false

[notify]
smtp_host = "mail.example.org"
starttls = true
user = "qc"
password_env = "AQUAFLAG_SMTP_PASSWORD"
timeout = 5
""", source="qc.toml")
    fails, silent, quiet, stuck = qc.alarms
    assert (fails.name, fails.when, fails.emails, fails.line) == ("DO fails", "fail", ("duty@example.org",), 10)
    assert fails.selector.variables == ("do",) and fails.selector.stations == ("A", "B")
    assert silent.after_ns == 2 * 3600 * 10**9 and silent.after_count is None
    assert silent.webhook_envs == ("AQUAFLAG_HOOK",)
    assert quiet.after_count == 4  # default: 4 sampling intervals
    assert stuck.rules == ("stuck",)
    n = qc.notify
    assert (n.smtp_host, n.smtp_port, n.starttls, n.user, n.password_env, n.timeout) == (
        "mail.example.org", 587, True, "qc", "AQUAFLAG_SMTP_PASSWORD", 5.0)


def test_a_configuration_without_alarms_has_none():
    qc = parse(RULES)
    assert qc.alarms == () and qc.notify.smtp_host is None


BAD = [
    ('[[alarm]]\nwhen = "fail"\nwebhook = "http://a/"\n', "alarm 1 (line 10): missing 'name'"),
    ('[[alarm]]\nname = "x"\nwhen = "fial"\nwebhook = "http://a/"\n',
     "alarm 1 'x' (line 10): when must be one of 'fail', 'no_data', 'rule'; got 'fial'"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\n', "alarm 1 'x' (line 10): no target"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nwebhook = "ftp://a/"\n', "webhook must be an http:// or https:// URL"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nemail = "nobody"\n', "email must be e-mail addresses"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nemail = "a@b.org"\n', "email needs an SMTP server: add a [notify]"),
    ('[[alarm]]\nname = "x"\nwhen = "rule"\nrule = "stuk"\nwebhook = "http://a/"\n',
     "no rule named 'stuk' in this file; did you mean 'stuck'?"),
    ('[[alarm]]\nname = "x"\nwhen = "rule"\nwebhook = "http://a/"\n', "needs rule = the name(s)"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nafter = 3\nwebhook = "http://a/"\n', "after goes with when = \"no_data\" only"),
    ('[[alarm]]\nname = "x"\nwhen = "no_data"\nafter = "1MS"\nwebhook = "http://a/"\n', "after must be"),
    ('[[alarm]]\nname = "x"\nwhen = "no_data"\nafter = 0\nwebhook = "http://a/"\n', "after must be"),
    ('[[alarm]]\nname = "x"\nwhen = "no_data"\ntimezone = "Mars/Base"\nwebhook = "http://a/"\n',
     "timezone must be an IANA zone name"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nwebhok = "http://a/"\n', "unknown key 'webhok'; did you mean 'webhook'?"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nwebhook = "http://a/"\n\n[[alarm]]\nname = "x"\nwhen = "fail"\n'
     'webhook = "http://a/"\n', "alarm 2 'x' (line 15): another alarm is named 'x'"),
    ('[[alarm]]\nname = "x"\nwhen = "fail"\nwebhook_env = "no-dash"\n', "webhook_env must be the NAME"),
    ('[notify]\nsmtp_host = "m"\npassword = "hunter2"\n', "[notify] (line 10): no password in the file"),
    ('[notify]\nsmtp_host = "m"\nuser = "u"\npassword_env = "$PW"\n', "password_env must be the NAME"),
    ('[notify]\nsmtp_host = "m"\npassword_env = "PW"\n', "password_env needs user"),
    ('[notify]\nstarttls = true\nssl = true\n', "not both"),
    ('[notify]\nsmtp_port = 70000\n', "smtp_port must be a port number"),
    ('[notify]\ntimeout = -1\n', "timeout must be a number >= 0.1; got -1"),
    ('[notify]\nretries = 1.5\n', "retries must be a whole number >= 0"),
    ('[notify]\nstarttls = "yes"\n', "starttls must be true or false"),
    ('[notify]\nsmtp_hots = "m"\n', "unknown key 'smtp_hots'; did you mean 'smtp_host'?"),
    ('[alarm]\nname = "x"\n', "alarms go in [[alarm]] tables"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_alarm_tables_name_file_alarm_line_and_key(text, message):
    with pytest.raises(ConfigError) as err:
        parse(RULES + "\n" + text, source="qc.toml")
    assert str(err.value).startswith("qc.toml") and message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)
