"""Fixtures of the always-on tests: a local webhook receiver and a local SMTP server."""

from __future__ import annotations

import pytest

from .servers import Mailbox, Receiver


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def mailbox():
    pytest.importorskip("aiosmtpd", reason="the e-mail tests need aiosmtpd: pip install 'aquaflag[test]'")
    m = Mailbox(user="aquaflag", password="s3cret").start()
    yield m
    m.stop()
