"""TikTok through the Content Posting API (a thin requests client of our own: TikTok ships no Python SDK)."""
