"""Schedule and sends: nudges, reminders, digests and leaderboard posts, sent once."""
