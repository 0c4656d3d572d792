"""The conversation feature: what the bot makes of words that name no command.

In a private chat with the bot, a reply to an open question is recorded or passed on
(``answers``), a greeting gets a pointer to help, and anything else a kind "I didn't
understand that" with the closest commands (``talk``).
"""

ORDER = 95
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
