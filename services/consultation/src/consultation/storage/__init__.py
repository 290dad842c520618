"""Queries of the consultation schema."""
