"""okrbot: effort and results on one scoreboard, in Slack."""
