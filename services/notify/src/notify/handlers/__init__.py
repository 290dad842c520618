"""handlers of the notify service."""
