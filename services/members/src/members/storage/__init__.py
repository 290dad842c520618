"""storage of the members service, one module per area."""
