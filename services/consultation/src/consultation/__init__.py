"""consultation — 协商: the four-level consultation process from topic to evaluated outcome."""
