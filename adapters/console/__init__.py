"""The console adapter: the engine in a terminal, for trying things out and for the demo."""
