"""api of the notify service."""
