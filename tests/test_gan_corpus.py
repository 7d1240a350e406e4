"""Corpus builder end to end on real mp4 files made by the actor, plus labels and motion estimation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gan.actor.clips import clip_name, render_actor_clip, save_actor_clip
from gan.actor.face2d import Actor
from gan.audio.speech import Synthesizer
from gan.data.corpus import CorpusConfig, build_corpus, main
from gan.data.corpus_labels import label_from_path, read_labels_csv
from gan.data.face_align import TEMPLATE, FaceMesher, anchor_points
from gan.rig.motion_estimate import estimate_motion
from gan.rig.params import MOTION_FIELDS, RIG_EMOTIONS, RigParams
from gan.video import write_mp4

J = MOTION_FIELDS.index("jaw_open")


@pytest.mark.parametrize(
    ("path", "emotion", "intensity"),
    [
        ("1001_DFA_ANG_XX.mp4", "angry", 0.67),
        ("1091_TIE_SAD_HI.mp4", "sad", 1.0),
        ("1002_IEO_NEU_XX.mp4", "neutral", 0.0),
        ("M003/video/front/happy/level_1/001.mp4", "happy", 1 / 3),
        ("W011/video/left_30/surprised/level_3/010.mp4", "surprised", 1.0),
        ("Actor_12/02-01-04-02-02-01-12.mp4", "sad", 1.0),
        ("teacher/happy/take_0.5.mp4", "happy", 0.5),
    ],
)
def test_labels_from_path(path: str, emotion: str, intensity: float) -> None:
    label = label_from_path(path)
    assert label is not None and label.emotion == emotion
    assert label.intensity == pytest.approx(intensity, abs=0.01)


def test_labels_unknown_and_csv(tmp_path: Path) -> None:
    assert label_from_path("misc/clip_001.mp4") is None
    csv = tmp_path / "labels.csv"
    csv.write_text("path,emotion,intensity\na/b.mp4,Happiness,0.4\nc.mp4,calm,\n", encoding="utf-8")
    labels = read_labels_csv(csv)
    assert labels["a/b.mp4"].emotion == "happy" and labels["a/b.mp4"].intensity == pytest.approx(0.4)
    assert labels["c.mp4"].emotion == "neutral" and labels["c.mp4"].intensity == 0.0
    csv.write_text("path,emotion\nx.mp4,bored\n", encoding="utf-8")
    with pytest.raises(ValueError):
        read_labels_csv(csv)


def test_corpus_config_validation() -> None:
    with pytest.raises(ValueError):
        CorpusConfig(size=8)
    with pytest.raises(ValueError):
        CorpusConfig(unlabelled="guess")


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short actor clips (CREMA-D names + .rig.npz), a corrupt mp4, and a csv-labelled 'real' clip."""
    root = tmp_path_factory.mktemp("clips")
    crema = root / "crema"
    actor, synth = Actor(128), Synthesizer.load()
    for i, (text, emo, inten) in enumerate([("Papa is here.", "happy", 1.0), ("Well, hello.", "neutral", 0.0)]):
        clip = render_actor_clip(actor, synth, text, emo, inten, fps=25.0, seed=i)
        save_actor_clip(clip, crema / f"{clip_name(i, emo, inten)}.mp4")
    (crema / "1002_DFA_ANG_XX.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated" + bytes(500))
    write_mp4(crema / "1003_DFA_HAP_XX.mp4", np.full((6, 96, 128, 3), 90, np.uint8), 25.0)  # no face at all
    whole = (crema / f"{clip_name(1, 'neutral', 0.0)}.mp4").read_bytes()
    (crema / "1004_DFA_SAD_XX.mp4").write_bytes(whole[: len(whole) // 2])  # truncated download
    # Real video: a photo of a real person (NASA astronaut portrait, public domain, shipped with
    # scikit-image) off-centre in a larger 30 fps frame, drifting; labelled by labels.csv.
    from skimage.data import astronaut

    face = astronaut()
    frames = np.full((9, 600, 800, 3), 40, np.uint8)
    for k in range(len(frames)):
        frames[k, 60 + k : 572 + k, 250 + 2 * k : 762 + 2 * k] = face
    (root / "teacher").mkdir()
    write_mp4(root / "teacher" / "take1.mp4", frames, 30.0)
    (root / "labels.csv").write_text("path,emotion,intensity\nteacher/take1.mp4,sad,0.5\n", encoding="utf-8")
    return root


@pytest.mark.slow
def test_build_corpus_end_to_end(clip_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    report = build_corpus(clip_dir, out, size=64, fps=25.0, shard_frames=40, progress=False)
    assert report.clips_found == 6 and report.clips_used == 5
    assert len(report.clips_corrupt) == 2
    assert "1002_DFA_ANG_XX.mp4" in report.clips_corrupt[0]
    assert "1004_DFA_SAD_XX.mp4: truncated" in report.clips_corrupt[1]
    assert report.clips_no_face == ["crema/1003_DFA_HAP_XX.mp4"] and report.frames_no_face == 6
    assert report.frames_kept == report.frames_total - 6 > 40
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["report"]["clips_corrupt"] == report.clips_corrupt
    assert len(manifest["shards"]) == len(report.shards) >= 2  # shard_frames=40 forces several shards
    data = {
        k: np.concatenate([np.load(out / s["file"])[k] for s in manifest["shards"]])
        for k in (
            "frames",
            "landmarks",
            "mel",
            "motion_est",
            "rig_motion",
            "rig_emotion",
            "intensity",
            "emotion_id",
            "clip_id",
            "frame_idx",
        )
    }
    n = report.frames_kept
    assert data["frames"].shape == (n, 64, 64, 3) and data["frames"].dtype == np.uint8
    assert data["landmarks"].shape == (n, 478, 3) and data["mel"].shape == (n, 4, 80)
    clips = {c["path"]: (i, c) for i, c in enumerate(manifest["clips"])}
    i_real, real = clips["teacher/take1.mp4"]
    assert real["emotion"] == "sad" and real["label_source"] == "csv" and not real["actor"]
    is_real = data["clip_id"] == i_real
    assert is_real.sum() == 7  # 9 frames at 30 fps -> 7 at 25 fps, the face found in each
    assert np.isnan(data["rig_motion"][is_real]).all()
    assert np.allclose(data["intensity"][is_real], 0.5)
    assert np.allclose(data["rig_emotion"][is_real], np.eye(len(RIG_EMOTIONS))[RIG_EMOTIONS.index("sad")])
    actor_ids = [i for i, c in enumerate(manifest["clips"]) if c["actor"]]
    assert len(actor_ids) == 2
    actor_rows = np.isin(data["clip_id"], actor_ids)
    assert np.isfinite(data["rig_motion"][actor_rows]).all()
    # Landmark-estimated jaw follows the true jaw the actor rendered.
    r = np.corrcoef(data["motion_est"][actor_rows, J], data["rig_motion"][actor_rows, J])[0, 1]
    assert r > 0.6, r
    # Crops are aligned: eye and mouth anchors sit on the template.
    anchors = np.stack([anchor_points(lm.astype(np.float64)) for lm in data["landmarks"]])
    assert np.abs(anchors - TEMPLATE * 64).max() < 4.0
    # Audio features: speech frames are louder than the clip's quietest frames.
    energy = data["mel"].astype(np.float32).mean(axis=(1, 2))
    assert energy.max() - energy.min() > 0.5
    # frame_idx runs consecutively within each clip
    for cid in np.unique(data["clip_id"]):
        idx = data["frame_idx"][data["clip_id"] == cid]
        assert np.array_equal(idx, np.arange(len(idx)))


@pytest.mark.slow
def test_cli_builds_from_config_flags(clip_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--src-dir", str(clip_dir), "--out-dir", str(tmp_path / "c"), "--size", "48", "--max-clips", "2", "--quiet"])
    text = capsys.readouterr().out
    assert "1/2 used, 1 corrupt" in text and (tmp_path / "c" / "manifest.json").is_file()
    with pytest.raises(ValueError):
        build_corpus(tmp_path / "missing", tmp_path / "x")


def test_estimate_motion_recovers_actor_pose_and_jaw() -> None:
    actor = Actor(192)
    with FaceMesher(video=False) as mesher:

        def est(**kw: float) -> np.ndarray:
            lm = mesher(actor.render(RigParams(**kw)))  # type: ignore[arg-type]
            assert lm is not None
            return estimate_motion(lm)

        rest, left, right, tilt, open_ = est(), est(yaw=15.0), est(yaw=-15.0), est(roll=10.0), est(jaw_open=0.7)
    yaw, roll = MOTION_FIELDS.index("yaw"), MOTION_FIELDS.index("roll")
    assert abs(rest[yaw]) < 4.0 and abs(rest[J]) < 0.15
    assert left[yaw] > 9.0 and right[yaw] < -9.0
    assert abs(tilt[roll] - 10.0) < 3.0
    assert open_[J] > 0.5
    with pytest.raises(ValueError):
        estimate_motion(np.zeros((10, 3)))
