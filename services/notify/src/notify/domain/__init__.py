"""domain of the notify service."""
