"""Fixtures for tests that talk to the practice sandbox over loopback HTTP.

A pytest plugin: tests/conftest.py lists it in ``pytest_plugins``, so the ``practice`` fixture
is there for every test by name. Import `Practice` from here only to annotate with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # loaded by every test session as a plugin: the heavy imports wait for use
    import requests

    from mjdesk.sandbox.server import Sandbox


@dataclass
class Practice:
    """A running sandbox with two accounts and a plain ``requests`` session for the main one."""

    sandbox: Sandbox
    key: str
    secret: str
    sub_key: str
    sub_secret: str
    session: requests.Session

    @property
    def url(self) -> str:
        return self.sandbox.url

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A raw request to ``path`` (relative to the base URL) as the main account."""
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.sandbox.url + path.lstrip("/"), **kwargs)

    def rest(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A raw request under ``v3/REST/``."""
        return self.call(method, "v3/REST/" + path.lstrip("/"), **kwargs)


@pytest.fixture
def practice() -> Iterator[Practice]:
    """A fresh sandbox on 127.0.0.1, port 0; stopped (threads joined) afterwards.

    Its jobs finish as they are created; a test of a running job gives them time
    (``sandbox.store.options.job_seconds``) and moves the clock on (``sandbox.store.advance``).
    """
    import requests

    from mjdesk.sandbox.server import Sandbox

    sandbox = Sandbox()
    sandbox.store.options.finish_jobs_at_once()
    sandbox.start()
    key, secret = sandbox.add_account("Department")
    sub_key, sub_secret = sandbox.add_account("Events sub-account", is_master=False)
    session = requests.Session()
    session.auth = (key, secret)
    try:
        yield Practice(sandbox, key, secret, sub_key, sub_secret, session)
    finally:
        session.close()
        sandbox.stop()
