"""Measuring rendered files with independent tools: ffprobe, ebur128, tesseract."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import unicodedata
from pathlib import Path

from PIL import Image, ImageOps

from capsules.media import ffmpeg


def ffprobe(path: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def top_level_atoms(path: Path) -> list[str]:
    atoms = []
    with path.open("rb") as handle:
        while header := handle.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0] - 8
            atoms.append(kind.decode("latin-1"))
            handle.seek(size - 8, 1)
    return atoms


def has_edit_list(path: Path) -> bool:
    return b"edts" in path.read_bytes()[: path.stat().st_size]


def keyframe_times(path: Path) -> list[float]:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-skip_frame",
            "nokey",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(line.strip().rstrip(",")) for line in result.stdout.splitlines() if line.strip()]


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's ebur128 filter."""
    result = subprocess.run(
        [ffmpeg(), "-nostats", "-i", str(path), "-filter_complex", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak_match = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    peak = float(peak_match.group(1)) if peak_match else float("-inf")
    return integrated, peak


def frame_at(path: Path, seconds: float, target: Path) -> Image.Image:
    subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-y",
            "-ss",
            f"{seconds:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            str(target),
        ],
        check=True,
    )
    return Image.open(target)


def ocr_band(image: Image.Image, top: float, bottom: float, scratch: Path) -> str:
    """Text read by tesseract (French) in a horizontal band, keeping only the light pixels."""
    width, height = image.size
    band = image.convert("L").crop((0, int(height * top), width, int(height * bottom)))
    band = band.point(lambda value: 0 if value > 170 else 255)  # light text → black on white
    band = ImageOps.expand(band, border=20, fill=255)
    file = scratch / "band.png"
    band.save(file)
    result = subprocess.run(
        ["tesseract", str(file), "-", "-l", "fra", "--psm", "6"], capture_output=True, text=True, check=True
    )
    return " ".join(result.stdout.split())


def normalise(text: str) -> str:
    """Unicode NFC, typographic apostrophes straightened, spaces folded."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def ocr_box(
    image: Image.Image, box: tuple[int, int, int, int], scratch: Path, *, threshold: int = 170
) -> str:
    """Text read by tesseract (French) in a box of the frame, keeping the pixels whose brightest
    channel is light (white, yellow, cyan, magenta, red subtitles alike)."""
    from PIL import ImageChops

    red, green, blue = image.convert("RGB").crop(box).split()
    light = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    band = light.point(lambda value: 0 if value > threshold else 255)
    band = ImageOps.expand(band, border=20, fill=255)
    file = scratch / "box.png"
    band.save(file)
    result = subprocess.run(
        ["tesseract", str(file), "-", "-l", "fra", "--psm", "6"], capture_output=True, text=True, check=True
    )
    return " ".join(result.stdout.split())


def match_ratio(read: str, expected: str) -> float:
    """How close OCR came to the text (difflib's ratio of the normalised strings, 1.0 = exact)."""
    import difflib

    return difflib.SequenceMatcher(None, normalise(read), normalise(expected)).ratio()


def bounding_box(mask: object) -> tuple[int, int, int, int] | None:
    """left, top, right, bottom (exclusive) of the True pixels of a numpy mask; None when empty."""
    import numpy as np

    array = np.asarray(mask)
    rows, columns = np.any(array, axis=1), np.any(array, axis=0)
    if not rows.any():
        return None
    top, bottom = int(np.argmax(rows)), int(len(rows) - np.argmax(rows[::-1]))
    left, right = int(np.argmax(columns)), int(len(columns) - np.argmax(columns[::-1]))
    return left, top, right, bottom
