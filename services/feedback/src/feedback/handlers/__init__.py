"""Commands of the feedback service, one module per area."""
