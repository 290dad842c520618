"""liaison_tools — what develops and tests cppcc-liaison, never what runs it.

The development stack of ``make run`` (launcher, the embedded broker and PostgreSQL, the
development mail sink), Apache Kafka for the suites, the pytest fixtures, the manifests and
checks derived from the code (Strimzi, route gates), and the development commands of
``liaison`` (run, token, mail, strimzi). It depends on liaison_shared; nothing in
liaison_shared or in a service imports it, and a service image does not install it.
"""
