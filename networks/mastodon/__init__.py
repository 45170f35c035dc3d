"""Mastodon (any instance): spec, adapter (Mastodon.py), emulator part judged by Mastodon's documented shapes."""
