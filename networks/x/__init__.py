"""X (formerly Twitter): spec, adapter (tweepy + our v2 chunked upload), emulator part."""
