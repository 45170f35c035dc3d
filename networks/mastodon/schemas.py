"""Mastodon's documented requests and responses, written as JSON Schemas (draft 2020-12).

Mastodon publishes no machine-readable API description: these schemas transcribe its documentation
(https://docs.joinmastodon.org, the pages linked beside each schema, as of Mastodon 4.4), so that the
emulator's Mastodon part is judged by what Mastodon documents rather than by what our adapter sends.
The emulator validates every request it receives and every answer it gives against them with
``jsonschema``; tests/test_networks_mastodon.py lists the documented cases they rely on.

A request is validated as ``{"headers": {...}, "query": {...}, "form": {...}, "files": {...}}``: header
names in lower case, form fields as sent (``media_ids[]`` an array), each uploaded file as
``{"filename": ..., "content_type": ...}``.
"""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.joinmastodon.org"

Schema = dict[str, Any]

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"}
NULLABLE_DATETIME = {"anyOf": [DATETIME, {"type": "null"}]}
FORM_BOOLEAN = {"enum": ["0", "1", "true", "false"]}  # Rails casts these; Mastodon.py sends 0/1
VISIBILITY = {"enum": ["public", "unlisted", "private", "direct"]}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Schema:
    """An object with these attributes required (the documentation's non-optional ones) and others
    allowed (Mastodon adds attributes with each version; clients must ignore the ones they do not know)."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


# -- entities ---------------------------------------------------------------------------------------

# https://docs.joinmastodon.org/entities/Error/
ERROR = {
    "$comment": f"{DOCS}/entities/Error/",
    **_object({"error": STRING}, {"error_description": STRING}),
}

# https://docs.joinmastodon.org/entities/Account/ (attributes not marked optional, up to 4.4)
ACCOUNT = {
    "$comment": f"{DOCS}/entities/Account/",
    **_object(
        {
            "id": STRING,
            "username": STRING,
            "acct": STRING,
            "url": NULLABLE_STRING,
            "uri": STRING,
            "display_name": STRING,
            "note": STRING,
            "avatar": STRING,
            "avatar_static": STRING,
            "header": STRING,
            "header_static": STRING,
            "locked": BOOLEAN,
            "fields": {"type": "array"},
            "emojis": {"type": "array"},
            "bot": BOOLEAN,
            "group": BOOLEAN,
            "discoverable": {"type": ["boolean", "null"]},
            "created_at": DATETIME,
            "last_status_at": {
                "anyOf": [{"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, {"type": "null"}]
            },
            "statuses_count": INTEGER,
            "followers_count": INTEGER,
            "following_count": INTEGER,
        },
        {"noindex": {"type": ["boolean", "null"]}, "moved": {"type": ["object", "null"]}},
    ),
}

# https://docs.joinmastodon.org/entities/Account/#CredentialAccount: verify_credentials adds `source`
CREDENTIAL_ACCOUNT = {
    "$comment": f"{DOCS}/entities/Account/#CredentialAccount",
    "allOf": [
        ACCOUNT,
        _object(
            {
                "source": _object(
                    {
                        "note": STRING,
                        "fields": {"type": "array"},
                        "privacy": VISIBILITY,
                        "sensitive": BOOLEAN,
                        "language": NULLABLE_STRING,
                        "follow_requests_count": INTEGER,
                    }
                )
            },
            {"role": {"type": "object"}},
        ),
    ],
}

# https://docs.joinmastodon.org/entities/MediaAttachment/
MEDIA_ATTACHMENT = {
    "$comment": f"{DOCS}/entities/MediaAttachment/",
    **_object(
        {
            "id": STRING,
            "type": {"enum": ["unknown", "image", "gifv", "video", "audio"]},
            "url": NULLABLE_STRING,  # null while the file is processed (POST /api/v2/media answers 202)
            "preview_url": NULLABLE_STRING,
            "remote_url": NULLABLE_STRING,
            "meta": {"type": ["object", "null"]},
            "description": NULLABLE_STRING,
            "blurhash": NULLABLE_STRING,
        }
    ),
}

# https://docs.joinmastodon.org/entities/Status/ (attributes not marked optional, up to 4.4)
STATUS = {
    "$comment": f"{DOCS}/entities/Status/",
    **_object(
        {
            "id": STRING,
            "uri": STRING,
            "created_at": DATETIME,
            "account": ACCOUNT,
            "content": STRING,
            "visibility": VISIBILITY,
            "sensitive": BOOLEAN,
            "spoiler_text": STRING,
            "media_attachments": {"type": "array", "items": MEDIA_ATTACHMENT},
            "mentions": {"type": "array"},
            "tags": {"type": "array"},
            "emojis": {"type": "array"},
            "reblogs_count": INTEGER,
            "favourites_count": INTEGER,
            "replies_count": INTEGER,
            "url": NULLABLE_STRING,
            "in_reply_to_id": NULLABLE_STRING,
            "in_reply_to_account_id": NULLABLE_STRING,
            "reblog": {"type": ["object", "null"]},
            "poll": {"type": ["object", "null"]},
            "card": {"type": ["object", "null"]},
            "language": {"anyOf": [{"type": "string", "pattern": "^[a-z]{2,3}$"}, {"type": "null"}]},
            "edited_at": NULLABLE_DATETIME,
            "quote": {"type": ["object", "null"]},
        },
        {
            "text": NULLABLE_STRING,
            "application": {"type": "object"},
            "favourited": BOOLEAN,
            "reblogged": BOOLEAN,
            "muted": BOOLEAN,
            "bookmarked": BOOLEAN,
            "pinned": BOOLEAN,
            "filtered": {"type": "array"},
        },
    ),
}

# https://docs.joinmastodon.org/entities/Instance/ (what GET /api/v2/instance answers, up to 4.4)
INSTANCE = {
    "$comment": f"{DOCS}/entities/Instance/",
    **_object(
        {
            "domain": STRING,
            "title": STRING,
            "version": STRING,
            "source_url": STRING,
            "description": STRING,
            "usage": _object({"users": _object({"active_month": INTEGER})}),
            "thumbnail": _object({"url": STRING}, {"blurhash": STRING, "versions": {"type": "object"}}),
            "icon": {"type": "array", "items": _object({"src": STRING, "size": STRING})},
            "languages": {"type": "array", "items": STRING},
            "configuration": _object(
                {
                    "urls": _object({"streaming": STRING}, {"status": NULLABLE_STRING}),
                    "vapid": _object({"public_key": STRING}),
                    "accounts": _object({"max_featured_tags": INTEGER, "max_pinned_statuses": INTEGER}),
                    "statuses": _object(
                        {
                            "max_characters": {"type": "integer", "minimum": 1},
                            "max_media_attachments": {"type": "integer", "minimum": 0},
                            "characters_reserved_per_url": {"type": "integer", "minimum": 0},
                        }
                    ),
                    "media_attachments": _object(
                        {
                            "supported_mime_types": {"type": "array", "items": STRING},
                            "description_limit": INTEGER,
                            "image_size_limit": INTEGER,
                            "image_matrix_limit": INTEGER,
                            "video_size_limit": INTEGER,
                            "video_frame_rate_limit": INTEGER,
                            "video_matrix_limit": INTEGER,
                        }
                    ),
                    "polls": _object(
                        {
                            "max_options": INTEGER,
                            "max_characters_per_option": INTEGER,
                            "min_expiration": INTEGER,
                            "max_expiration": INTEGER,
                        }
                    ),
                    "translation": _object({"enabled": BOOLEAN}),
                }
            ),
            "registrations": _object(
                {"enabled": BOOLEAN, "approval_required": BOOLEAN, "message": NULLABLE_STRING},
                {"url": NULLABLE_STRING, "min_age": {"type": ["integer", "null"]}},
            ),
            "api_versions": _object({"mastodon": INTEGER}),
            "contact": _object({"email": STRING, "account": {"anyOf": [ACCOUNT, {"type": "null"}]}}),
            "rules": {"type": "array", "items": _object({"id": STRING, "text": STRING})},
        }
    ),
}

# -- requests ---------------------------------------------------------------------------------------

AUTHORIZED = _object({"authorization": {"type": "string", "pattern": r"^Bearer \S+$"}})
NO_PARAMETERS: Schema = {"type": "object", "maxProperties": 0}

# https://docs.joinmastodon.org/methods/statuses/#create
CREATE_STATUS = {
    "$comment": f"{DOCS}/methods/statuses/#create",
    "type": "object",
    "properties": {
        "headers": {
            "allOf": [AUTHORIZED],
            "properties": {"idempotency-key": {"type": "string", "minLength": 1}},
        },
        "query": NO_PARAMETERS,
        "form": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "status": STRING,
                "media_ids[]": {"type": "array", "items": {"type": "string", "pattern": r"^\d+$"}},
                "poll[options][]": {"type": "array", "items": STRING},
                "poll[expires_in]": {"type": "string", "pattern": r"^\d+$"},
                "poll[multiple]": FORM_BOOLEAN,
                "poll[hide_totals]": FORM_BOOLEAN,
                "in_reply_to_id": STRING,
                "sensitive": FORM_BOOLEAN,
                "spoiler_text": STRING,
                "visibility": VISIBILITY,
                "language": {"type": "string", "pattern": "^[a-z]{2}$"},  # "ISO 639-1 language code"
                "scheduled_at": DATETIME,
                "quoted_status_id": STRING,
                "quote_approval_policy": {"enum": ["public", "followers", "nobody"]},
            },
            # status is required unless media_ids is given; a poll and media cannot go together
            "anyOf": [
                {"required": ["status"], "properties": {"status": {"minLength": 1}}},
                {"required": ["media_ids[]"], "properties": {"media_ids[]": {"minItems": 1}}},
            ],
            "not": {"required": ["media_ids[]", "poll[options][]"]},
        },
        "files": NO_PARAMETERS,
    },
    "required": ["headers", "form"],
}

# https://docs.joinmastodon.org/methods/media/#v2
CREATE_MEDIA = {
    "$comment": f"{DOCS}/methods/media/#v2",
    "type": "object",
    "properties": {
        "headers": AUTHORIZED,
        "query": NO_PARAMETERS,
        "form": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "description": STRING,  # "A plain-text description of the media, for accessibility"
                "focus": {"type": "string", "pattern": r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$"},
            },
        },
        "files": {
            "type": "object",
            "additionalProperties": False,
            "required": ["file"],  # "The file must have a MIME type"
            "properties": {
                "file": _object(
                    {"filename": STRING, "content_type": {"type": "string", "pattern": r"^\w+/\S+$"}}
                ),
                "thumbnail": _object({"filename": STRING, "content_type": STRING}),
            },
        },
    },
    "required": ["headers", "files"],
}

# https://docs.joinmastodon.org/methods/media/#get
GET_MEDIA = {
    "$comment": f"{DOCS}/methods/media/#get",
    "type": "object",
    "properties": {
        "headers": AUTHORIZED,
        "query": NO_PARAMETERS,
        "form": NO_PARAMETERS,
        "files": NO_PARAMETERS,
    },
    "required": ["headers"],
}

# https://docs.joinmastodon.org/methods/instance/#v2 (public: no token needed)
GET_INSTANCE = {
    "$comment": f"{DOCS}/methods/instance/#v2",
    "type": "object",
    "properties": {"query": NO_PARAMETERS, "form": NO_PARAMETERS, "files": NO_PARAMETERS},
}

# https://docs.joinmastodon.org/methods/accounts/#verify_credentials
VERIFY_CREDENTIALS = {
    "$comment": f"{DOCS}/methods/accounts/#verify_credentials",
    "type": "object",
    "properties": {
        "headers": AUTHORIZED,
        "query": NO_PARAMETERS,
        "form": NO_PARAMETERS,
        "files": NO_PARAMETERS,
    },
    "required": ["headers"],
}

_ID = {"type": "string", "pattern": r"^\d+$"}
_QUERY_BOOLEAN = FORM_BOOLEAN

# https://docs.joinmastodon.org/methods/accounts/#statuses
ACCOUNT_STATUSES = {
    "$comment": f"{DOCS}/methods/accounts/#statuses",
    "type": "object",
    "properties": {
        "query": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_id": _ID,
                "since_id": _ID,
                "min_id": _ID,
                # "Defaults to 20 statuses. Max 40 statuses."
                "limit": {"type": "string", "pattern": r"^([1-9]|[1-3]\d|40)$"},
                "only_media": _QUERY_BOOLEAN,
                "exclude_replies": _QUERY_BOOLEAN,
                "exclude_reblogs": _QUERY_BOOLEAN,
                "pinned": _QUERY_BOOLEAN,
                "tagged": STRING,
            },
        },
        "form": NO_PARAMETERS,
        "files": NO_PARAMETERS,
    },
}

# https://docs.joinmastodon.org/methods/statuses/#get (public statuses need no token)
GET_STATUS = {
    "$comment": f"{DOCS}/methods/statuses/#get",
    "type": "object",
    "properties": {"query": NO_PARAMETERS, "form": NO_PARAMETERS, "files": NO_PARAMETERS},
}

# What each route answers, by HTTP status (the "Response" sections of the method pages).
STATUS_LIST = {"$comment": f"{DOCS}/methods/accounts/#statuses", "type": "array", "items": STATUS}
ROUTES: dict[str, tuple[Schema, dict[int, Schema]]] = {
    "POST /api/v1/statuses": (CREATE_STATUS, {200: STATUS}),
    "POST /api/v2/media": (CREATE_MEDIA, {200: MEDIA_ATTACHMENT, 202: MEDIA_ATTACHMENT}),
    # 206: "The media attachment is still being processed" (the attachment, its url still null)
    "GET /api/v1/media/{id}": (GET_MEDIA, {200: MEDIA_ATTACHMENT, 206: MEDIA_ATTACHMENT}),
    "GET /api/v2/instance": (GET_INSTANCE, {200: INSTANCE}),
    "GET /api/v1/accounts/verify_credentials": (VERIFY_CREDENTIALS, {200: CREDENTIAL_ACCOUNT}),
    "GET /api/v1/accounts/{id}/statuses": (ACCOUNT_STATUSES, {200: STATUS_LIST}),
    "GET /api/v1/statuses/{id}": (GET_STATUS, {200: STATUS}),
}


_validators: dict[int, Any] = {}


def errors(schema: Schema, document: Any) -> list[str]:
    """What ``document`` breaks of ``schema``, as short messages naming where (none: it is valid)."""
    import jsonschema

    checker = _validators.get(id(schema))
    if checker is None:  # the schemas are module constants: compiled once each
        jsonschema.Draft202012Validator.check_schema(schema)
        checker = _validators.setdefault(id(schema), jsonschema.Draft202012Validator(schema))
    found = []
    for error in sorted(checker.iter_errors(document), key=lambda item: list(item.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        found.append(f"{where}: {error.message}")
    return found
