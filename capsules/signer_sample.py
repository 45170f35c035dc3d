"""A drawn stand-in for a sign-language interpreter, on a chroma-key green background.

The example campaign, the tests and the benchmark need a signer video; no stock footage is needed
for that: a figure framed from mid-thigh up ("plan américain"), in dark clothes that contrast with
the scenes, whose hands move in front of the chest. It signs nothing: a real capsule uses a
qualified interpreter's video.

    python -m capsules.signer_sample OUT.mp4 SECONDS
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

GREEN = (0, 177, 64)  # chroma-key green
SKIN = (224, 172, 138)
CLOTHES = (24, 24, 32)
SLEEVES = (58, 58, 74)  # a shade lighter, so that the arms read in front of the chest
HAIR = (50, 32, 24)


def _hand_path(t: float, side: int) -> tuple[float, float]:
    """Where a hand is at ``t`` (fractions of the frame): loops in front of the chest, changing
    every two seconds, like a sequence of signs."""
    phase = int(t // 2)
    local = t % 2
    centre_x = 0.5 + side * (0.16 + 0.05 * math.sin(phase * 1.7))
    centre_y = 0.46 + 0.06 * math.cos(phase * 2.3)
    radius = 0.05 + 0.03 * ((phase + (side > 0)) % 3)
    angle = 2 * math.pi * local / (1.0 + 0.5 * (phase % 2)) * side
    return centre_x + radius * math.cos(angle), centre_y + radius * math.sin(angle)


def draw_frame(t: float, size: tuple[int, int]) -> bytes:
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, GREEN)
    draw = ImageDraw.Draw(image)

    def xy(x: float, y: float) -> tuple[float, float]:
        return (x * width, y * height)

    # body from mid-thigh up: legs, torso, neck, head
    draw.rectangle((*xy(0.34, 0.72), *xy(0.66, 1.0)), fill=CLOTHES)
    draw.polygon([xy(0.26, 0.30), xy(0.74, 0.30), xy(0.68, 0.76), xy(0.32, 0.76)], fill=CLOTHES)
    draw.rectangle((*xy(0.46, 0.24), *xy(0.54, 0.31)), fill=SKIN)
    draw.ellipse((*xy(0.38, 0.08), *xy(0.62, 0.26)), fill=SKIN)
    draw.chord((*xy(0.37, 0.06), *xy(0.63, 0.22)), 180, 360, fill=HAIR)
    nod = 0.004 * math.sin(t * 3)
    for eye in (0.45, 0.55):
        draw.ellipse((*xy(eye - 0.012, 0.16 + nod), *xy(eye + 0.012, 0.172 + nod)), fill=(30, 30, 30))
    mouth = 0.006 + 0.006 * abs(math.sin(t * 5))
    draw.ellipse((*xy(0.47, 0.205), *xy(0.53, 0.205 + mouth)), fill=(120, 40, 40))
    # arms: shoulder → elbow → hand, sleeves dark, hands skin
    for side in (-1, 1):
        shoulder = xy(0.5 + side * 0.22, 0.33)
        hand = xy(*_hand_path(t, side))
        elbow = xy(0.5 + side * 0.30, 0.58)
        draw.line([shoulder, elbow, hand], fill=SLEEVES, width=max(4, width // 10), joint="curve")
        radius = width * 0.055
        draw.ellipse((hand[0] - radius, hand[1] - radius, hand[0] + radius, hand[1] + radius), fill=SKIN)
        finger = (hand[0] + side * radius * 0.9, hand[1] - radius * 1.4)
        draw.line([hand, finger], fill=SKIN, width=max(3, width // 28))
    return image.tobytes()


def write_signer_sample(
    target: Path, seconds: float, *, size: tuple[int, int] = (360, 640), fps: int = 30, crf: int = 30
) -> Path:
    """Write the drawn signer to ``target`` (H.264, yuv420p, ``fps``), ``seconds`` long."""
    from capsules.media import ffmpeg

    width, height = size
    command = [
        ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
        "-c:v", "libx264", "-preset", "veryslow", "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(target),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert process.stdin is not None
    try:
        for index in range(round(seconds * fps)):
            process.stdin.write(draw_frame(index / fps, size))
        process.stdin.close()
    finally:
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write {target}")
    return target


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    write_signer_sample(Path(sys.argv[1]), float(sys.argv[2]))
