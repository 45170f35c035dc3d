"""A media upload as the emulator models it: bytes received, then asynchronous processing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from networks.media import VideoInfo

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


_PROBED: dict[str, VideoInfo | None] = {}


def measure(data: bytes) -> VideoInfo | None:
    """What ffmpeg reads of uploaded bytes (duration, frame size), as the network's processing would;
    None when they are not a video it can read. Measured once per distinct content."""
    import hashlib
    import tempfile
    from pathlib import Path

    from networks.media import probe

    key = hashlib.sha256(data).hexdigest()
    if key not in _PROBED:
        with tempfile.TemporaryDirectory(prefix="clickable-emulator-") as folder:
            path = Path(folder) / "upload.mp4"
            path.write_bytes(data)
            _PROBED[key] = probe(path)
    return _PROBED[key]
