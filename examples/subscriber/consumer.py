"""A subscriber of ``cppcc.feedback.opinion``: FastStream reads, the CloudEvents SDK decodes.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python examples/subscriber/consumer.py

One line on stdout per event of a type it knows (``opinions.py``), none with personal data;
what it passes over (an unknown type, a copy already processed, a record that is no CloudEvent)
is said on stderr. Settings, all optional:

- ``SUBSCRIBER_GROUP`` — the consumer group, yours alone (default ``example-subscriber``):
  the group holds your position in the topic, and a group shared with another system would
  split the partitions, each of you seeing only part of the events;
- ``SUBSCRIBER_FROM`` — where a new group starts: ``earliest`` (the 30 days the topic keeps,
  the default) or ``latest``; a group that has committed an offset resumes there;
- ``SUBSCRIBER_DB`` — the SQLite file of processed event ids (default ``subscriber.sqlite3``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from cloudevents.core.bindings import kafka
from cloudevents.core.exceptions import BaseCloudEventException
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opinions import TOPIC, describe
from pydantic import ValidationError
from seen import Seen

log = logging.getLogger("subscriber")

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
GROUP = os.environ.get("SUBSCRIBER_GROUP", "example-subscriber")
START = os.environ.get("SUBSCRIBER_FROM", "earliest")
seen = Seen(os.environ.get("SUBSCRIBER_DB", "subscriber.sqlite3"))

# FastStream's logs go to stderr with ours, its per-message ones at DEBUG: stdout is the events
quiet = logging.getLogger("subscriber.faststream")
broker = KafkaBroker(BOOTSTRAP, logger=quiet, log_level=logging.DEBUG, client_id=GROUP)
app = FastStream(broker, logger=quiet)


@app.after_shutdown  # the broker has stopped: no handler is running
async def close() -> None:
    seen.close()  # in the loop's thread, where SQLite opened it (a sync hook runs in a pool)


# The offset is committed after the handler returns; if it raises (the SQLite file unwritable),
# the partition is rewound and the record read again — so it raises only for what a retry can cure.
@broker.subscriber(TOPIC, group_id=GROUP, auto_offset_reset=START, ack_policy=AckPolicy.NACK_ON_ERROR)
async def on_record(message: KafkaMessage) -> None:
    record = message.raw_message
    where = f"{record.topic}/{record.partition}@{record.offset}"
    try:
        event = kafka.from_binary_event(kafka.KafkaMessage(
            headers=dict(record.headers), key=record.key, value=record.value or b""))
    except (BaseCloudEventException, ValueError) as error:  # ValueError: a bad ce_time, bad UTF-8
        log.warning("skipped %s: not a CloudEvent (%s)", where, type(error).__name__)
        return
    try:
        line = describe(event.get_type(), event.get_id(), event.get_data())
    except ValidationError:
        # the error itself is not logged: it quotes the data
        log.warning("skipped %s: %s %s lacks a field this reader needs", where, event.get_type(), event.get_id())
        return
    if line is None:
        log.info("passed over %s: type %s is not read here", where, event.get_type())
        return
    # CloudEvents ids are unique per source: the pair is the event's identity
    with seen.once(event.get_source(), event.get_id()) as fresh:
        if not fresh:
            log.info("passed over %s: event %s was processed before", where, event.get_id())
            return
        print(line, flush=True)  # your effect here, writing to seen.db inside this block


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    log.info("reading %s from %s as group %s (a new group starts at %s)", TOPIC, BOOTSTRAP, GROUP, START)
    asyncio.run(app.run())
