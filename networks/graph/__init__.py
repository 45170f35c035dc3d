"""Meta's Graph API, shared by the Facebook and Instagram packages: client, insights, emulator base."""
