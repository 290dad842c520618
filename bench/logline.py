"""The benchmark's one way to say what it is doing: a timestamped line, flushed at once, so a
long run's log reads as it happens. Apart from ``step`` so that the pure modules (``search``)
import without the stack's dependencies."""

import time


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)
