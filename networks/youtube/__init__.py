"""YouTube Shorts through the YouTube Data API v3."""
