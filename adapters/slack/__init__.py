"""The Slack adapter: slack-bolt on our aiohttp server, Block Kit out, neutral events in.

Every import of slack_bolt and slack_sdk stays inside this package.
"""
