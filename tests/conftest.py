"""Every test gets the shared fixtures of :mod:`tests.support.plugin` (databases, chat,
the Slack world); a test module asks for them by name and never imports them."""

pytest_plugins = ["tests.support.plugin"]
