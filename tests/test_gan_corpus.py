"""gan-build-corpus on real mp4 files: labels from paths, and shards that the v2 trainer reads as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from photo_clips import write_photo_clip

from gan.data.corpus import CorpusConfig, load_base, main
from gan.data.corpus_labels import label_from_path, read_labels_csv
from gan.data.rig_corpus import RigCorpus, RigTriplets, collate_rig
from gan.rig.arkit import KEPT, POSE_LIMITS


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
        CorpusConfig(fps=0.5)
    with pytest.raises(ValueError):
        CorpusConfig(test_share=0.6)
    with pytest.raises(ValueError):
        CorpusConfig(intensity=1.5)


def test_cli_writes_what_the_v2_trainer_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "videos"
    write_photo_clip(src / "happy" / "take_0.8.mp4", 3.0)  # labelled by its path
    write_photo_clip(src / "plain.mp4", 3.0)  # unlabelled: neutral at 0.5
    write_photo_clip(src / "fear" / "take.mp4", 1.0)  # the avatar has no fearful face: skipped
    out = tmp_path / "corpus"
    main([str(src), "--out", str(out), "--min-seconds", "5", "--quiet"])
    printed = capsys.readouterr().out
    assert "skipped: fear/take.mp4" in printed
    corpus = RigCorpus(out, "seq", tmp_path / "cache")
    test = RigCorpus(out, "test_seq", tmp_path / "cache")
    _, _, emotions, _ = load_base(None)
    assert corpus.kept == KEPT and corpus.emotions == emotions and corpus.size == 256
    assert len(corpus) + len(test) == 150 and len(test) == 2 * 8  # 6 s at 25 fps, the last 10 % of each clip held out
    arr = corpus.arrays
    happy = arr["emotion"][:, emotions.index("happy")] == 1.0
    assert happy.sum() == 67 and np.allclose(arr["intensity"][happy], 0.8)
    assert np.allclose(arr["emotion"][~happy, emotions.index("neutral")], 1.0)
    assert np.allclose(arr["intensity"][~happy], 0.5)
    assert arr["rig"].min() >= 0.0 and arr["rig"].max() <= 1.0 and np.all(np.abs(arr["pose"]) <= POSE_LIMITS)
    assert arr["mel"].shape[1:] == (16, 80) and arr["speaking"].any() and not arr["speaking"].all()
    assert corpus.reference.shape == (256, 256, 3) and corpus.reference.std() > 20  # a face, not a border
    batch = collate_rig([RigTriplets(corpus)[i] for i in range(2)])
    assert batch.frames.shape == (2, 3, 3, 256, 256)
    with pytest.raises(SystemExit, match="not empty"):
        main([str(src), "--out", str(out), "--quiet"])
