"""What the class-level security tests share: the whole platform as real processes on the demo data."""
