"""Process-level wiring: configuration, the CLI, the aiohttp server and the app."""
