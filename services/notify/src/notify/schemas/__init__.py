"""HTTP shapes of the notify API, one module per area."""
