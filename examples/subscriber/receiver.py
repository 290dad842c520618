"""A webhook receiver: checks notify's signature, then takes each event once.

    WEBHOOK_SECRET=<the secret POST /api/v1/subscriptions answered> python examples/subscriber/receiver.py

Answers 401 to a request whose signature is missing, wrong or older than five minutes
(``signatures.py``), and 2xx to every genuine delivery — also to one it already took or whose
type it does not read, since any other answer makes notify send it again. One line on stdout
per event taken (``opinions.py``), none with personal data; the rest is said on stderr.
Settings: ``RECEIVER_HOST`` (default ``127.0.0.2``), ``RECEIVER_PORT`` (``9400``),
``RECEIVER_DB`` (the SQLite file of processed event ids, ``receiver.sqlite3``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator

import uvicorn
from cloudevents.core.bindings import http
from cloudevents.core.exceptions import BaseCloudEventException
from opinions import describe
from pydantic import ValidationError
from seen import Seen
from signatures import Refused, verify
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger("receiver")

MAX_BODY = 1_000_000  # notify's events are a few hundred bytes
SECRET = os.environ.get("WEBHOOK_SECRET", "")


async def events(request: Request) -> Response:
    delivery = request.headers.get("x-liaison-delivery") or request.headers.get("webhook-id") or "-"
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
    try:
        verify(SECRET, request.headers, body)
    except Refused as refused:
        log.warning("refused delivery %s: %s", delivery, refused)
        return PlainTextResponse("signature refused", status_code=401)
    try:  # structured mode: the whole event is the JSON body
        event = http.from_http_event(http.HTTPMessage(headers=dict(request.headers), body=body))
    except (BaseCloudEventException, ValueError):
        log.warning("delivery %s is signed but not a CloudEvent", delivery)
        return PlainTextResponse("not a CloudEvent", status_code=400)
    try:
        line = describe(event.get_type(), event.get_id(), event.get_data())
    except ValidationError:
        log.warning("passed over delivery %s: %s lacks a field this reader needs", delivery, event.get_type())
        return Response(status_code=204)
    if line is None:
        log.info("passed over delivery %s: type %s is not read here", delivery, event.get_type())
        return Response(status_code=204)
    seen: Seen = request.app.state.seen
    with seen.once(event.get_source(), event.get_id()) as fresh:
        if not fresh:
            log.info("delivery %s: event %s was taken before", delivery, event.get_id())
            return Response(status_code=204)
        print(f"{line} delivery={delivery}", flush=True)  # your effect here, writing to seen.db
    return Response(status_code=204)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.seen = Seen(os.environ.get("RECEIVER_DB", "receiver.sqlite3"))  # in the serving thread
    yield
    app.state.seen.close()


app = Starlette(routes=[Route("/events", events, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    if not SECRET:
        sys.exit("WEBHOOK_SECRET is not set: give the secret that POST /api/v1/subscriptions answered")
    host, port = os.environ.get("RECEIVER_HOST", "127.0.0.2"), int(os.environ.get("RECEIVER_PORT", "9400"))
    log.info("receiving webhooks at http://%s:%d/events", host, port)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
