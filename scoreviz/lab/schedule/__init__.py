"""The schedule lab without Qt: the user's schedule, its read-out, A / B comparison and the session's commands."""
