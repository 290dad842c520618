"""notify — 通知: the right people hear of every step, on every channel, exactly once."""
