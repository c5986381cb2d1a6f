"""A local Slack in the browser: okrbot's real endpoint, driven without a Slack workspace."""
