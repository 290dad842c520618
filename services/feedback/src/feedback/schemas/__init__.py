"""HTTP shapes of the feedback API."""
