"""TikTok's documented requests, answers, error codes and chunk rules, as data, each with its doc link.

The emulator part judges every exchange with these (JSON Schema, validated with ``jsonschema``); the
schemas are written from TikTok's reference pages, not from what our adapter sends. Where TikTok
documents nothing (the upload host's error body, a reset header on 429), the choice made is said.
"""

from __future__ import annotations

from typing import Any

DOCS = "https://developers.tiktok.com/doc/"
CREATOR_INFO_DOC = DOCS + "content-posting-api-reference-query-creator-info"
DIRECT_POST_DOC = DOCS + "content-posting-api-reference-direct-post"
UPLOAD_DOC = DOCS + "content-posting-api-reference-upload-video"
STATUS_DOC = DOCS + "content-posting-api-reference-get-video-status"
TRANSFER_DOC = DOCS + "content-posting-api-media-transfer-guide"
ERRORS_DOC = DOCS + "tiktok-api-v2-error-handling"
VIDEO_LIST_DOC = DOCS + "tiktok-api-v2-video-list"
VIDEO_QUERY_DOC = DOCS + "tiktok-api-v2-video-query"
VIDEO_OBJECT_DOC = DOCS + "tiktok-api-v2-video-object"
TOKEN_DOC = DOCS + "oauth-user-access-token-management"
DESKTOP_LOGIN_DOC = DOCS + "login-kit-desktop"
SHARING_GUIDELINES_DOC = DOCS + "content-sharing-guidelines"

MiB = 1024 * 1024

# error.code -> (HTTP status, where TikTok documents it)
ERROR_CODES: dict[str, tuple[int, str]] = {
    "ok": (200, ERRORS_DOC),
    "invalid_params": (400, ERRORS_DOC),
    "invalid_file_upload": (400, ERRORS_DOC),
    "access_token_invalid": (401, ERRORS_DOC),
    "scope_not_authorized": (401, ERRORS_DOC),
    "rate_limit_exceeded": (429, ERRORS_DOC),
    "internal_error": (500, ERRORS_DOC),
    "privacy_level_option_mismatch": (403, DIRECT_POST_DOC),
    "spam_risk_too_many_posts": (403, DIRECT_POST_DOC),
    "spam_risk_user_banned_from_posting": (403, DIRECT_POST_DOC),
    "reached_active_user_cap": (403, DIRECT_POST_DOC),
    "unaudited_client_can_only_post_to_private_accounts": (403, DIRECT_POST_DOC),
    "url_ownership_unverified": (403, DIRECT_POST_DOC),
}

# TRANSFER_DOC, "Chunk restrictions"
CHUNK_RULES: dict[str, Any] = {
    "min_chunk": 5 * MiB,  # each chunk at least 5 MB…
    "max_chunk": 64 * MiB,  # …and at most 64 MB,
    "max_final_chunk": 128 * MiB,  # except the last, which takes the trailing bytes (up to 128 MB)
    "min_count": 1,
    "max_count": 1000,
    # total_chunk_count = video_size / chunk_size rounded down; under 5 MB: one chunk, the whole file
    "source": TRANSFER_DOC,
}
UPLOAD_TYPES = ("video/mp4", "video/quicktime", "video/webm")  # TRANSFER_DOC, "Video restrictions"

# requests per minute per user access_token, as each reference page says
RATE_PER_MINUTE: dict[str, int] = {
    "/v2/post/publish/creator_info/query/": 20,  # CREATOR_INFO_DOC
    "/v2/post/publish/video/init/": 6,  # DIRECT_POST_DOC
    "/v2/post/publish/inbox/video/init/": 6,  # UPLOAD_DOC
    "/v2/post/publish/status/fetch/": 30,  # STATUS_DOC
}

# the scope each endpoint needs
SCOPES: dict[str, str] = {
    "/v2/post/publish/creator_info/query/": "video.publish",  # CREATOR_INFO_DOC
    "/v2/post/publish/video/init/": "video.publish",  # DIRECT_POST_DOC
    "/v2/post/publish/inbox/video/init/": "video.upload",  # UPLOAD_DOC
    "/v2/video/list/": "video.list",  # VIDEO_LIST_DOC
    "/v2/video/query/": "video.list",  # VIDEO_QUERY_DOC
}
STATUS_SCOPES = ("video.upload", "video.publish")  # STATUS_DOC: either

PRIVACY_LEVELS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
POST_STATUSES = [
    "PROCESSING_UPLOAD",
    "PROCESSING_DOWNLOAD",
    "SEND_TO_USER_INBOX",
    "PUBLISH_COMPLETE",
    "FAILED",
]
# VIDEO_OBJECT_DOC: the fields a Display API request may ask for
VIDEO_FIELDS = (
    "id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height",
    "width", "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count",
    "view_count",
)  # fmt: skip
CAPTION_UTF16 = 2200  # DIRECT_POST_DOC: post_info.title, "maximum length of 2200 in UTF-16 runes"

_INT = {"type": "integer", "minimum": 0}
SOURCE_INFO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "source": {"enum": ["FILE_UPLOAD", "PULL_FROM_URL"]},
        "video_size": _INT,
        "chunk_size": _INT,
        "total_chunk_count": _INT,
        "video_url": {"type": "string"},
    },
    "required": ["source"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"source": {"const": "FILE_UPLOAD"}}},
            "then": {"required": ["video_size", "chunk_size", "total_chunk_count"]},
        },
        {"if": {"properties": {"source": {"const": "PULL_FROM_URL"}}}, "then": {"required": ["video_url"]}},
    ],
}

# request bodies, per endpoint (additionalProperties false: a field TikTok does not document is refused)
REQUESTS: dict[str, dict[str, Any]] = {
    # CREATOR_INFO_DOC: no body
    "/v2/post/publish/creator_info/query/": {"type": "object", "maxProperties": 0},
    # DIRECT_POST_DOC
    "/v2/post/publish/video/init/": {
        "type": "object",
        "properties": {
            "post_info": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "privacy_level": {"enum": PRIVACY_LEVELS},
                    "disable_duet": {"type": "boolean"},
                    "disable_stitch": {"type": "boolean"},
                    "disable_comment": {"type": "boolean"},
                    "video_cover_timestamp_ms": {"type": "integer", "minimum": 0},
                    "brand_content_toggle": {"type": "boolean"},
                    "brand_organic_toggle": {"type": "boolean"},
                    "is_aigc": {"type": "boolean"},
                },
                "required": ["privacy_level"],
                "additionalProperties": False,
            },
            "source_info": SOURCE_INFO,
        },
        "required": ["post_info", "source_info"],
        "additionalProperties": False,
    },
    # UPLOAD_DOC: the video only (the creator writes the caption in the app)
    "/v2/post/publish/inbox/video/init/": {
        "type": "object",
        "properties": {"source_info": SOURCE_INFO},
        "required": ["source_info"],
        "additionalProperties": False,
    },
    # STATUS_DOC
    "/v2/post/publish/status/fetch/": {
        "type": "object",
        "properties": {"publish_id": {"type": "string", "minLength": 1}},
        "required": ["publish_id"],
        "additionalProperties": False,
    },
    # VIDEO_LIST_DOC
    "/v2/video/list/": {
        "type": "object",
        "properties": {
            "cursor": {"type": "integer", "minimum": 0},
            "max_count": {"type": "integer", "minimum": 1, "maximum": 20},
        },
        "additionalProperties": False,
    },
    # VIDEO_QUERY_DOC
    "/v2/video/query/": {
        "type": "object",
        "properties": {
            "filters": {
                "type": "object",
                "properties": {
                    "video_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20}
                },
                "required": ["video_ids"],
                "additionalProperties": False,
            }
        },
        "required": ["filters"],
        "additionalProperties": False,
    },
}
FIELDS_REQUIRED = ("/v2/video/list/", "/v2/video/query/")  # the ``fields`` query parameter

ERROR_STRUCT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"enum": list(ERROR_CODES)},
        "message": {"type": "string"},
        "log_id": {"type": "string"},
    },
    "required": ["code", "message", "log_id"],
}
_VIDEO = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "create_time": {"type": "integer"},
        "share_url": {"type": "string"},
        "video_description": {"type": "string"},
        "title": {"type": "string"},
        "like_count": {"type": "integer"},
        "comment_count": {"type": "integer"},
        "share_count": {"type": "integer"},
        "view_count": {"type": "integer"},
    },
    "propertyNames": {"enum": list(VIDEO_FIELDS)},
}


def _answer(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"data": data, "error": ERROR_STRUCT},
        "required": ["data", "error"],
    }


# successful answers, per endpoint
RESPONSES: dict[str, dict[str, Any]] = {
    "/v2/post/publish/creator_info/query/": _answer(
        {
            "type": "object",
            "properties": {
                "creator_avatar_url": {"type": "string"},
                "creator_username": {"type": "string"},
                "creator_nickname": {"type": "string"},
                "privacy_level_options": {"type": "array", "items": {"enum": PRIVACY_LEVELS}},
                "comment_disabled": {"type": "boolean"},
                "duet_disabled": {"type": "boolean"},
                "stitch_disabled": {"type": "boolean"},
                "max_video_post_duration_sec": {"type": "integer"},
            },
            "required": [
                "creator_avatar_url",
                "creator_username",
                "creator_nickname",
                "privacy_level_options",
                "comment_disabled",
                "duet_disabled",
                "stitch_disabled",
                "max_video_post_duration_sec",
            ],
        }
    ),
    "/v2/post/publish/video/init/": _answer(
        {
            "type": "object",
            "properties": {"publish_id": {"type": "string"}, "upload_url": {"type": "string"}},
            "required": ["publish_id"],
        }
    ),
    "/v2/post/publish/inbox/video/init/": _answer(
        {
            "type": "object",
            "properties": {"publish_id": {"type": "string"}, "upload_url": {"type": "string"}},
            "required": ["publish_id"],
        }
    ),
    "/v2/post/publish/status/fetch/": _answer(
        {
            "type": "object",
            "properties": {
                "status": {"enum": POST_STATUSES},
                "fail_reason": {"type": "string"},
                "publicaly_available_post_id": {"type": "array", "items": {"type": "integer"}},
                "uploaded_bytes": {"type": "integer"},
                "downloaded_bytes": {"type": "integer"},
            },
            "required": ["status"],
        }
    ),
    "/v2/video/list/": _answer(
        {
            "type": "object",
            "properties": {
                "videos": {"type": "array", "items": _VIDEO},
                "cursor": {"type": "integer"},
                "has_more": {"type": "boolean"},
            },
            "required": ["videos", "cursor", "has_more"],
        }
    ),
    "/v2/video/query/": _answer(
        {
            "type": "object",
            "properties": {"videos": {"type": "array", "items": _VIDEO}},
            "required": ["videos"],
        }
    ),
}

# TOKEN_DOC: the token endpoint's form, per grant
TOKEN_FORMS: dict[str, tuple[str, ...]] = {
    "authorization_code": ("client_key", "client_secret", "code", "grant_type", "redirect_uri"),
    "refresh_token": ("client_key", "client_secret", "grant_type", "refresh_token"),
}
TOKEN_ANSWER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "access_token": {"type": "string"},
        "expires_in": {"type": "integer"},
        "open_id": {"type": "string"},
        "refresh_expires_in": {"type": "integer"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
        "token_type": {"const": "Bearer"},
    },
    "required": [
        "access_token",
        "expires_in",
        "open_id",
        "refresh_expires_in",
        "refresh_token",
        "scope",
        "token_type",
    ],
}
