"""mp4 in and out with the ffmpeg binary that ships inside imageio-ffmpeg (no system ffmpeg needed).

Written files are H.264 (High profile) in yuv420p with AAC audio and the moov atom first
(`+faststart`): the combination every browser's <video> element plays and can start before the
download ends. Odd frame sizes are padded to even (yuv420p needs even width and height).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): (\w+)([^\n]*)")


class VideoError(RuntimeError):
    """A file is not a readable mp4 (corrupt, truncated, no video stream)."""


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _validate_frames(frames: np.ndarray) -> np.ndarray:
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] == 0:
        raise ValueError(f"frames must be (T>0, H, W, 3) RGB, got shape {arr.shape}.")
    if arr.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {arr.dtype}.")
    return np.ascontiguousarray(arr)


def write_mp4(
    path: str | Path,
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
    crf: int = 20,
) -> None:
    """Encode (T, H, W, 3) uint8 RGB frames (+ optional mono float audio) to an mp4 at `path`."""
    arr = _validate_frames(frames)
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    if audio is not None and (sample_rate is None or sample_rate <= 0):
        raise ValueError("sample_rate is required (positive) when audio is given.")
    _, h, w, _ = arr.shape
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", f"{fps:.6f}", "-i", "-"]
        if audio is not None:
            import soundfile as sf

            wav = Path(tmp) / "audio.wav"
            mono = np.asarray(audio, dtype=np.float32).reshape(-1)
            sf.write(str(wav), np.clip(mono, -1.0, 1.0), int(sample_rate or 0), subtype="PCM_16")
            cmd += ["-i", str(wav)]
        cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", str(crf), "-pix_fmt", "yuv420p", "-profile:v", "high", "-threads", "1"]
        if audio is not None:
            cmd += ["-c:a", "aac", "-b:a", "96k"]
        cmd += ["-movflags", "+faststart", str(path)]
        proc = subprocess.run(cmd, input=arr.tobytes(), capture_output=True, check=False)
        if proc.returncode != 0:
            raise VideoError(f"ffmpeg failed writing {path}: {proc.stderr.decode(errors='replace')[-500:]}")


def probe_mp4(path: str | Path) -> dict[str, object]:
    """Stream facts from `ffmpeg -i`: video/audio codec, pix_fmt, size, fps, sample rate."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"No such file: {path}")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                          check=False)
    info: dict[str, object] = {"video_codec": None, "audio_codec": None}
    for kind, codec, rest in _STREAM.findall(proc.stderr):
        if kind == "Video" and info["video_codec"] is None:
            info["video_codec"] = codec
            fmt = re.match(r"\s*\([^)]*\)\s*\([^)]*\)?,?\s*(\w+)", rest) or re.match(r"[^,]*,\s*(\w+)", rest)
            info["pix_fmt"] = fmt.group(1) if fmt else None
            size = re.search(r"(\d{2,5})x(\d{2,5})", rest)
            if size:
                info["width"], info["height"] = int(size.group(1)), int(size.group(2))
            rate = re.search(r"([\d.]+) fps", rest)
            info["fps"] = float(rate.group(1)) if rate else None
        elif kind == "Audio" and info["audio_codec"] is None:
            info["audio_codec"] = codec
            sr = re.search(r"(\d+) Hz", rest)
            info["sample_rate"] = int(sr.group(1)) if sr else None
    if info["video_codec"] is None:
        raise VideoError(f"{path} has no readable video stream.")
    return info


class VideoReader:
    """Streams an mp4's frames (RGB uint8) without holding the whole clip in memory.

    `fps`, `size` (w, h) and `n_frames_estimate` come from the container before decoding.
    Iterating raises VideoError if decoding fails part-way (corrupt or truncated data).
    """

    def __init__(self, path: str | Path) -> None:
        import imageio_ffmpeg

        self.path = Path(path)
        self.info = probe_mp4(self.path)
        try:
            self._gen = imageio_ffmpeg.read_frames(str(self.path), pix_fmt="rgb24")
            meta = next(self._gen)
        except (RuntimeError, OSError, StopIteration, ValueError) as err:
            raise VideoError(f"Could not decode {self.path}: {err}") from err
        self.size: tuple[int, int] = tuple(meta["size"])  # type: ignore[assignment]
        self.fps = float(meta.get("fps") or self.info.get("fps") or 25.0)  # type: ignore[arg-type]
        self.duration = float(meta.get("duration") or 0.0)
        self.n_frames_estimate = round(self.duration * self.fps)
        self.frames_read = 0

    @property
    def truncated(self) -> bool:
        """After iterating: True if far fewer frames decoded than the container announced."""
        return self.n_frames_estimate > 0 and self.frames_read < 0.9 * self.n_frames_estimate

    def __iter__(self) -> Iterator[np.ndarray]:
        w, h = self.size
        try:
            for buf in self._gen:
                self.frames_read += 1
                yield np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
        except (RuntimeError, OSError, ValueError) as err:
            raise VideoError(f"Decoding {self.path} failed part-way: {err}") from err

    def close(self) -> None:
        self._gen.close()


def read_audio(path: str | Path) -> tuple[np.ndarray | None, int | None]:
    """(mono float32 audio at the file's own rate, sample rate), or (None, None) without audio."""
    info = probe_mp4(path)
    sr = info.get("sample_rate") if info.get("audio_codec") else None
    if not sr:
        return None, None
    proc = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1",
                           "-ar", str(sr), "-f", "f32le", "-"], capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        return None, None
    return np.frombuffer(proc.stdout, dtype=np.float32).copy(), int(sr)  # type: ignore[call-overload]


def read_mp4(path: str | Path) -> tuple[np.ndarray, float, np.ndarray | None, int | None]:
    """(frames (T, H, W, 3) uint8 RGB, fps, mono float32 audio or None, sample rate or None).

    Raises VideoError for corrupt or unreadable files (never a bare ffmpeg crash).
    """
    reader = VideoReader(path)
    frames = list(reader)
    if not frames:
        raise VideoError(f"{path} has no decodable frames.")
    audio, sr = read_audio(path)
    return np.stack(frames), reader.fps, audio, sr
