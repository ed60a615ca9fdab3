"""Alert channels: e-mail, webhooks (generic and Slack-compatible) and a local JSONL file."""
