"""liaison_shared — the common library of the four cppcc-liaison services.

Everything all four need exactly once: settings, the CloudEvents envelope, the
transactional outbox and its relay, the idempotent inbox with its dead-letter
queue, JWT auth and org scope, the HTTP app factory with health and metrics,
migrations, and the embedded broker and database for development and tests.
"""
