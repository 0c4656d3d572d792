"""When handling a request fails on our side: what the person hears, and what the log says.

The common case is the database going away for a moment (a restart, a failover,
a dropped network path). Both adapters then answer the platform as usual, never
with a 5xx (Slack and Teams would retry it, or count it against the app, and the
person would see an error), tell the person in one sentence to try again in a
moment, and log one line naming the failure, never what the person wrote. Any
other failure is ours too and gets the same sentence, with its trace in the log.
"""

from __future__ import annotations

from storage.outage import database_unreachable as database_unreachable
from storage.outage import reason as reason

SORRY = (
    "Sorry, something went wrong on my side. Please try again in a moment; if it keeps "
    "happening, tell your coordinator."
)
