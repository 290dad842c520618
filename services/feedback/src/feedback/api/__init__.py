"""HTTP routes of the feedback service."""
