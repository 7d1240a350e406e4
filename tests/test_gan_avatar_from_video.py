"""gan-avatar-from-video end to end on a real photo moved and zoomed (with a sound track), and its clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from photo_clips import write_photo_clip

from gan.data.video_rig import CUES, euler_yxz, rig_from_measures
from gan.networks.rig_sketch import rotation
from gan.rig.arkit import KEPT, KEPT_INDEX
from gan.training.from_video import main


def _clip(folder: Path, seconds: float, **kwargs: Any) -> Path:
    write_photo_clip(folder / "clip.mp4", seconds, **kwargs)
    return folder


@pytest.fixture(scope="module")
def consent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("consent") / "consent.txt"
    path.write_text("I, the person in these videos, consent to an avatar being made from them.\n")
    return path


def _run(tmp: Path, videos: Path, consent: Path | None, *extra: str) -> tuple[int, Path]:
    out = tmp / "avatar"
    argv = [str(videos), "--out", str(out), "--quiet", "--steps", "2", "--batch-size", "2", "--threads", "1", *extra]
    if consent is not None:
        argv += ["--consent-file", str(consent)]
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 1, out
    return 0, out


def test_a_moving_photo_becomes_an_avatar_that_loads_and_speaks(tmp_path: Path, consent: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from gan.pipeline import TalkingHeadPipeline

    videos = _clip(tmp_path / "videos", 21.0)
    code, out = _run(tmp_path, videos, consent)
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # work folder removed
    config = json.loads((out / "config.json").read_text())
    prov = config["provenance"]
    assert prov["consent"]["sha256"] and prov["consent"]["date"] and prov["video_seconds"] >= 20.0
    assert config["generator_version"] == 2 and config["trained_steps"] == 2
    # the person's face, not the actor's: the fine-tuned avatar's rest frame is nearer the photo's crop
    assert prov["held_out_psnr_db"] > 12.0
    pipe = TalkingHeadPipeline.from_pretrained(out)
    clip = pipe.speak("Hello there.", emotion="happy", intensity=0.8)
    assert clip.frames.shape[1:] == (256, 256, 3) and len(clip.frames) >= 10
    assert clip.frames.std() > 5.0  # an image, not a flat colour


@pytest.mark.parametrize("case, words", [
    ("no_mp4", "No .mp4 file"),
    ("blank", "No face was found"),
    ("no_audio", "no audio track"),
    ("short", "at least 20 s"),
    ("two_people", "several people"),
    ("no_consent", "--consent-file is required"),
    ("empty_consent", "is empty"),
])
def test_clear_errors_write_nothing(tmp_path: Path, consent: Path, capsys: pytest.CaptureFixture[str],
                                   case: str, words: str) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    use_consent: Path | None = consent
    if case == "blank":
        _clip(videos, 2.0, blank=True)
    elif case == "no_audio":
        _clip(videos, 2.0, audio=False)
    elif case == "short":
        _clip(videos, 2.0)
    elif case in ("no_consent", "empty_consent"):  # checked before any video is read
        (videos / "clip.mp4").write_bytes(b"")
    elif case == "two_people":
        _clip(videos, 2.0, faces=2)
    if case == "no_consent":
        use_consent = None
    elif case == "empty_consent":
        use_consent = tmp_path / "consent.txt"
        use_consent.write_text("  \n")
    code, out = _run(tmp_path, videos, use_consent)
    err = capsys.readouterr().err
    assert code != 0
    assert words in err and err.count("\n") == 1, err  # one sentence on one line
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_pose_decomposition_inverts_the_generators_rotation() -> None:
    angles = torch.tensor([[12.0, -7.0, 5.0], [-20.0, 15.0, -10.0]])
    for a, r in zip(angles, rotation(angles).numpy()):
        assert np.allclose(euler_yxz(r), a.numpy(), atol=1e-3)


def test_rig_follows_the_persons_own_range() -> None:
    n = 200
    gap = np.concatenate([np.zeros(100), np.linspace(0.0, 0.4, 100)])  # closed half the time, then opening
    flat = {name: np.zeros(n) for name in {c.measure for c in CUES.values()}}
    flat["ear"] = np.full(n, 0.3)
    flat["ear"][50:53] = 0.05  # a blink
    rig = rig_from_measures({**flat, "gap": gap}, len(KEPT))
    jaw = rig[:, KEPT_INDEX["jawOpen"]]
    assert jaw[:100].max() == 0.0 and np.all(np.diff(jaw[101:-1]) >= 0)
    assert jaw.max() == pytest.approx(CUES["jawOpen"].reach, abs=0.02)  # the person's widest = the actor's
    assert rig[51, KEPT_INDEX["eyeBlink"]] > 0.9 and rig[10, KEPT_INDEX["eyeBlink"]] == 0.0
    assert rig.min() >= 0.0 and rig.max() <= 1.0
