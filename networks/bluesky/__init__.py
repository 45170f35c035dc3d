"""Bluesky (AT Protocol): posts through the account's PDS, videos through Bluesky's video service."""
