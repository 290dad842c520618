"""门户 — the people's pages."""
