"""A pair's life: introductions, sessions, meetings, check-ins, pauses and endings."""
