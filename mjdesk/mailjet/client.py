"""The transport: mailjet-rest clients (v3 REST, v3.1 send, raw calls for v4) under our own
retry policy, timeouts, paging, cancellation and typed errors.

One ``MailjetClient`` per thread: it owns ``requests`` sessions, which are not thread-safe (and
mailjet-rest's ``Client`` is one session). Work spread over threads gives each thread a
`MailjetClient.sibling`, which shares the key pair's auth object instead of copying the secret.
"""

# requests and mailjet_rest are imported at module level on purpose: this module exists to drive
# them, and it is itself imported lazily (mjdesk.mailjet's package import does not load it).
from __future__ import annotations

import logging
import ssl
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self

import mailjet_rest  # noqa: TID253
import requests  # noqa: TID253
from requests.adapters import HTTPAdapter  # noqa: TID253
from urllib3.util.retry import Retry

from mjdesk.core.work import CancelToken, UserError
from mjdesk.mailjet.errors import UnexpectedReply, classify
from mjdesk.mailjet.replies import JsonObject
from mjdesk.mailjet.retry import RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.mailjet.com/"
PAGE_SIZE = 1000
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to log: the Authorization value is replaced."""
    return {
        name: ("<redacted>" if name.lower() in ("authorization", "proxy-authorization") else value)
        for name, value in headers.items()
    }


class _SingleShotAdapter(HTTPAdapter):
    """No retries at the transport (ours decide, per method), TLS 1.2 or newer like the SDK's."""

    def __init__(self, *, tls: bool) -> None:
        self._tls = tls
        super().__init__(max_retries=Retry(total=0, read=False, redirect=False))

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._tls:  # loading the CA store is slow, so only for the https:// mount
            context = ssl.create_default_context()
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            kwargs["ssl_context"] = context
        super().init_poolmanager(*args, **kwargs)


def _log_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    request = response.request
    log.debug(
        "%s %s -> %s %s",
        request.method,
        request.url,
        response.status_code,
        redact_headers({name: str(value) for name, value in request.headers.items()}),
    )


def _sdk_client(
    api_key: str, secret_key: str, api_url: str, version: str, *, auth: Any = None
) -> mailjet_rest.Client:
    """An SDK client for the key pair, or (``auth``) one that signs with another client's auth
    object, so no second copy of the secret is made."""
    if auth is None:
        client = mailjet_rest.Client(
            auth=(api_key, secret_key),
            api_url=api_url,
            version=version,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
    else:
        with warnings.catch_warnings():  # (the SDK warns of a client made without keys)
            warnings.simplefilter("ignore", UserWarning)
            client = mailjet_rest.Client(
                auth=None, api_url=api_url, version=version, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            )
        client.auth = auth
        client.session.auth = auth
    # Replaces the SDK's adapter, which retries POST over https (a send could go out twice).
    client.session.mount("https://", _SingleShotAdapter(tls=True))
    client.session.mount("http://", _SingleShotAdapter(tls=False))
    client.session.hooks["response"].append(_log_response)
    return client


class MailjetClient:
    """Typed access to Mailjet for one API key pair; GETs are retried, nothing else is."""

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        api_url: str = DEFAULT_API_URL,
        _shared_auth: Any = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retry: RetryPolicy | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        if not api_url.endswith("/"):
            api_url += "/"
        self.api_url = api_url
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self.cancel = cancel or CancelToken()
        self.requests = 0
        """Requests made (each attempt counts), for benchmarks and fetch summaries."""
        # The secret goes straight into the SDK's SecretAuth; we keep no copy of it.
        try:
            self._v3 = _sdk_client(api_key, secret_key, api_url, "v3", auth=_shared_auth)
            self._v31 = _sdk_client(api_key, secret_key, api_url, "v3.1", auth=self._v3.auth)
        except ValueError as refused:  # (the SDK's own check of the address)
            raise UserError(
                f"{api_url} is not an address mjdesk can reach Mailjet at: give it whole, "
                f"as https://api.mailjet.com/ or http://127.0.0.1:PORT/ ({refused})."
            ) from None

    def sibling(self) -> MailjetClient:
        """A client of its own for another thread: same account, address, timeouts, retry
        policy and cancel token; it signs with this client's auth object (the secret is not
        copied). Close it when the thread is done."""
        return MailjetClient(
            self.api_key,
            "",
            api_url=self.api_url,
            _shared_auth=self._v3.auth,
            connect_timeout=self.timeout[0],
            read_timeout=self.timeout[1],
            retry=self.retry,
            cancel=self.cancel,
        )

    def __repr__(self) -> str:
        return f"MailjetClient(api_url={self.api_url!r}, api_key={self.api_key[:4]!r}…)"

    def close(self) -> None:
        """Close both sessions (and their sockets)."""
        self._v3.close()
        self._v31.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the one place requests are made --------------------------------------------------------

    def _run(
        self, method: str, what: str, call: Callable[[], requests.Response]
    ) -> requests.Response:
        """Make one call; GETs are retried on retryable errors, other methods never are."""
        attempt = 0
        while True:
            self.cancel.check()
            self.requests += 1
            try:
                return call()
            except (mailjet_rest.ApiError, requests.RequestException) as raw:
                error = classify(raw)
                if method != "GET" or not error.retryable or attempt >= self.retry.retries:
                    raise error from raw
            delay = self.retry.delay(attempt)
            log.info(
                "%s %s failed (%s); retry %d in %.1f s",
                method,
                what,
                type(error).__name__,
                attempt + 1,
                delay,
            )
            self.retry.pause(delay, self.cancel)
            attempt += 1

    def _endpoint(self, name: str, *, send: bool = False) -> Any:
        return getattr(self._v31 if send else self._v3, name)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise UnexpectedReply(
                f"Mailjet's reply was not JSON ({response.status_code})"
            ) from error

    def _rows(self, response: requests.Response) -> list[JsonObject]:
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("Data"), list):
            raise UnexpectedReply("Mailjet's reply had no Data list")
        rows: list[JsonObject] = body["Data"]
        return rows

    # -- REST verbs -------------------------------------------------------------------------------

    def get(
        self,
        resource: str,
        id: int | str | None = None,
        *,
        action_id: int | str | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> list[JsonObject]:
        """One GET; the envelope's ``Data`` rows."""
        endpoint = self._endpoint(resource)
        response = self._run(
            "GET",
            resource,
            lambda: endpoint.get(
                id=id, action_id=action_id, filters=dict(filters or {}), timeout=self.timeout
            ),
        )
        return self._rows(response)

    def get_one(
        self, resource: str, id: int | str | None = None, *, action_id: int | str | None = None
    ) -> JsonObject:
        """One object by ID."""
        rows = self.get(resource, id, action_id=action_id)
        if not rows:
            raise UnexpectedReply(f"Mailjet returned no {resource}")
        return rows[0]

    def get_all(
        self,
        resource: str,
        id: int | str | None = None,
        *,
        filters: Mapping[str, Any] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[JsonObject]:
        """Every matching row: pages of 1,000 with ``Offset`` until a short page (not ``Total``)."""
        offset = 0
        while True:
            self.cancel.check()
            query = {**(filters or {}), "Limit": PAGE_SIZE, "Offset": offset}
            rows = self.get(resource, id, filters=query)
            yield from rows
            offset += len(rows)
            if progress is not None:
                progress(offset)
            if len(rows) < PAGE_SIZE:
                return

    def count(self, resource: str, filters: Mapping[str, Any] | None = None) -> int:
        """How many objects match (``countOnly``; the number is read from ``Total``)."""
        endpoint = self._endpoint(resource)
        query = {**(filters or {}), "countOnly": 1}
        response = self._run(
            "GET", resource, lambda: endpoint.get(filters=query, timeout=self.timeout)
        )
        body = self._json(response)
        if not isinstance(body, dict) or "Total" not in body:
            raise UnexpectedReply("Mailjet's count had no Total")
        return int(body["Total"])

    def create(
        self,
        resource: str,
        data: Any,
        id: int | str | None = None,
        *,
        action_id: int | str | None = None,
    ) -> Any:
        """One POST (never retried); the parsed reply."""
        endpoint = self._endpoint(resource)
        response = self._run(
            "POST",
            resource,
            lambda: endpoint.create(data=data, id=id, action_id=action_id, timeout=self.timeout),
        )
        return self._json(response)

    def update(self, resource: str, id: int | str, data: JsonObject) -> JsonObject | None:
        """One PUT (a patch); the updated object, or None when nothing changed (304)."""
        endpoint = self._endpoint(resource)
        response = self._run(
            "PUT", resource, lambda: endpoint.update(id=id, data=data, timeout=self.timeout)
        )
        if response.status_code == 304:
            return None
        rows = self._rows(response)
        return rows[0] if rows else None

    def delete(self, resource: str, id: int | str, *, action_id: int | str | None = None) -> None:
        """One DELETE (204)."""
        endpoint = self._endpoint(resource)
        self._run(
            "DELETE",
            resource,
            lambda: endpoint.delete(id=id, action_id=action_id, timeout=self.timeout),
        )

    def send(self, payload: JsonObject) -> JsonObject:
        """``POST /v3.1/send`` (never retried: a retry could send twice).

        A 400 with per-message results is raised as ``InvalidRequest`` whose ``details`` holds
        the ``Messages`` list, so the caller can see which messages did go out.
        """
        endpoint = self._endpoint("send", send=True)
        response = self._run(
            "POST", "send", lambda: endpoint.create(data=payload, timeout=self.timeout)
        )
        body = self._json(response)
        if not isinstance(body, dict):
            raise UnexpectedReply("Mailjet's send reply was not an object")
        return body

    def raw(self, method: str, path: str, *, data: Any = None) -> requests.Response:
        """A call to a path the SDK cannot name (``v4/contacts/…``, ``DATA/batchjob/…``)."""
        url = self.api_url + path.lstrip("/")
        verb: Any = method
        return self._run(
            method,
            path,
            lambda: self._v3.api_call(verb, url, data=data, timeout=self.timeout),
        )
