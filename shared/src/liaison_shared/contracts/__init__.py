"""The event contract: payload models of every event the platform publishes.

They live in the shared library, one module per publishing service, because both
sides need them — the producer validates against them before anything enters its
outbox, and every consumer parses with them — and a service must never import
another service. The module of a service is changed only with that service.
"""
