"""storage of the notify service."""
