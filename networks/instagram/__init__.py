"""Instagram (professional accounts, Reels): spec, adapter (our Graph client), emulator part."""
