"""Log-mel features for audio-to-motion and the sync expert, aligned to video frames.

80 mel bands at 100 frames/s on 16 kHz audio (25 ms windows, 10 ms hop: the usual speech
front end, e.g. Tacotron 2 / Wav2Lip), so one 25 fps video frame spans exactly 4 mel frames.
Plain numpy + torch.stft: no librosa in the render path (its first call compiles numba for
~20 s, see FINDINGS.md), so the first streamed chunk stays under a second.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import resample_poly

MEL_SR = 16000  # Hz
N_FFT = 512
WIN = 400  # 25 ms
HOP = 160  # 10 ms -> 100 mel frames/s
N_MELS = 80
MEL_FPS = MEL_SR // HOP  # 100
WINDOW = 16  # mel frames per video frame window (0.16 s, SyncNet's audio window)
TARGET_RMS = 0.05  # utterances are loudness-normalised so any voice/level drives the same features
MAX_GAIN = 10.0  # ...but faint noise is not blown up into "speech" (TTS needs a gain of ~0.5-1)


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)  # HTK mel scale


def mel_filterbank(sr: int = MEL_SR, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, area-normalised (Slaney style), 0-8 kHz."""
    fft_freqs = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(sr / 2.0)), n_mels + 2)
    hz_pts = 700.0 * (10.0 ** (mel_pts / 2595.0) - 1.0)
    fb = np.zeros((n_mels, fft_freqs.size), dtype=np.float32)
    for i in range(n_mels):
        lo, mid, hi = hz_pts[i], hz_pts[i + 1], hz_pts[i + 2]
        up = (fft_freqs - lo) / (mid - lo)
        down = (hi - fft_freqs) / (hi - mid)
        fb[i] = np.maximum(0.0, np.minimum(up, down)) * (2.0 / (hi - lo))
    return fb


def to_mel_rate(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Validate mono float audio and resample it to 16 kHz (polyphase, exact for integer ratios)."""
    if not isinstance(audio, np.ndarray) or audio.ndim != 1:
        raise ValueError("audio must be a 1-D numpy array (mono).")
    if not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(f"audio must be float (-1..1), got dtype {audio.dtype}.")
    if sample_rate < 4000:
        raise ValueError(f"sample_rate must be at least 4000 Hz, got {sample_rate}.")
    if not np.all(np.isfinite(audio)):
        raise ValueError("audio contains NaN or infinite values.")
    audio = audio.astype(np.float32)
    if sample_rate == MEL_SR:
        return audio
    g = int(np.gcd(int(sample_rate), MEL_SR))
    return resample_poly(audio, MEL_SR // g, int(sample_rate) // g).astype(np.float32)


def log_mel(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float audio -> (N, 80) normalised log-mel at 100 frames/s (roughly in [-2, 2])."""
    x = to_mel_rate(audio, sample_rate)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    if rms > 1e-4:
        x = x * min(TARGET_RMS / rms, MAX_GAIN)
    n = max(1, int(np.ceil(x.size / HOP)))
    x = np.pad(x, (0, n * HOP - x.size))
    spec = torch.stft(
        torch.from_numpy(x),
        n_fft=N_FFT,
        hop_length=HOP,
        win_length=WIN,
        window=torch.hann_window(WIN),
        center=True,
        return_complex=True,
    )  # (257, n + 1)
    power = spec.abs().pow(2).numpy()[:, :n]
    mel = _FILTERBANK @ power  # (80, n)
    return ((np.log(mel + 1e-6) + 8.0) / 4.0).T.astype(np.float32)  # (n, 80)


_FILTERBANK = mel_filterbank()
SILENCE_LEVEL = float((np.log(1e-6) + 8.0) / 4.0)  # the value of a band with no energy


def mel_windows(mel: np.ndarray, n_frames: int, fps: float, window: int = WINDOW) -> np.ndarray:
    """(N, 80) mel at 100/s -> (n_frames, window, 80): for each video frame the window centred on it."""
    if mel.ndim != 2 or mel.shape[1] != N_MELS:
        raise ValueError(f"mel must be (N, {N_MELS}), got {mel.shape}.")
    centres = np.round((np.arange(n_frames) + 0.5) * MEL_FPS / fps).astype(np.int64)
    idx = centres[:, None] + np.arange(-(window // 2), window - window // 2)[None]  # (T, W)
    padded = np.concatenate([mel, np.full((1, N_MELS), SILENCE_LEVEL, np.float32)])
    idx = np.where((idx >= 0) & (idx < mel.shape[0]), idx, mel.shape[0])  # out of range -> silence
    return padded[idx]


def audio_windows(audio: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """Convenience: audio -> (n_frames, WINDOW, 80) mel windows aligned to the video frames."""
    return mel_windows(log_mel(audio, sample_rate), n_frames, fps)


def rms_envelope(audio: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames,) RMS of the audio inside each video frame's interval."""
    hop = sample_rate / fps
    out = np.zeros(n_frames, np.float64)
    for k in range(n_frames):
        seg = audio[round(k * hop) : round((k + 1) * hop)]
        out[k] = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0
    return out
