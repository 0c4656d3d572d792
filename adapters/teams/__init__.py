"""The Microsoft Teams adapter; every botbuilder import stays inside this package."""
