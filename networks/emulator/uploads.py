"""A media upload as the emulator models it: bytes received, then asynchronous processing."""

from __future__ import annotations

from dataclasses import dataclass, field

MP4_SIGNATURE = b"ftyp"
PROCESSING_POLLS = 2  # status polls before a video is ready


@dataclass
class Upload:
    """Bytes received for one media upload, and its (simulated) asynchronous processing."""

    total: int
    data: bytearray = field(default_factory=bytearray)
    polls: int = 0
    finalized: bool = False

    @property
    def state(self) -> str:
        if not self.finalized and self.total and len(self.data) < self.total:
            return "uploading"
        if self.polls < PROCESSING_POLLS:
            return "in_progress"
        return "succeeded" if self.data[4:8] == MP4_SIGNATURE else "failed"
