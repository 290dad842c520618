"""The consultation process as pure rules: no I/O."""
