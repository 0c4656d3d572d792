"""Persistence: SQLAlchemy 2 async models, repositories and Alembic migrations.

The URL decides the driver (aiosqlite or asyncpg); nothing here imports one.
"""
