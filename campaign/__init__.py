"""The campaign as data: campaign file, validation, storage, settings, approvals, tracked links."""
