"""HTTP routes of the consultation service."""
