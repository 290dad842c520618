"""liaison_shared — the runtime kernel of the four cppcc-liaison services.

Everything all four need exactly once when they run: settings, the CloudEvents envelope, the
transactional outbox and its relay, the idempotent inbox with its dead-letter queue, JWT auth
and org scope, the HTTP app factory with health and metrics, migrations, and the operator's
``liaison`` command (serve, init, replay, dead letters, audit). What develops and tests them —
the embedded stack, the pytest fixtures, ``make run`` — is liaison_tools (``tools/``), which a
service image does not install and nothing here imports.
"""
