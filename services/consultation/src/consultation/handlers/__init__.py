"""What the consultation service does on a request or an event."""
