"""The one place the benchmark imports the project's tooling.

The dev stack, the test harness and the Apache Kafka launcher move between packages now and
then (``liaison_shared.devstack`` became ``liaison_tools.devstack``); every bench module
imports them from here, so such a move is a change of these lines only.
"""

from liaison_tools.apache_kafka import ApacheKafka, Missing, fetch, require_java
from liaison_tools.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from liaison_tools.testing import ServiceProcess, make_settings, token_for

__all__ = ["ApacheKafka", "EmbeddedBroker", "EmbeddedPostgres", "Missing", "ServiceProcess", "fetch", "free_port",
           "make_settings", "require_java", "token_for"]
