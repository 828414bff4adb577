"""SQLite with its write transactions queued in the application (see :mod:`.base`)."""
