"""Facebook Pages: spec, adapter (our Graph client), emulator part."""
