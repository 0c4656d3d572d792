"""The platform-neutral mentoring engine.

Nothing in this package knows about Slack, Teams or a database driver: adapters
translate platform payloads into :mod:`conversations.events` and render
:mod:`conversations.messages`; storage goes through SQLAlchemy's async ORM.
"""
