"""The v2 rig's parameter space: 52 ARKit names, the KEPT channels, validation, normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from gan.rig import arkit


def test_arkit_names_are_the_52_unique_apple_names() -> None:
    assert len(arkit.ARKIT_NAMES) == 52 == len(set(arkit.ARKIT_NAMES))
    assert arkit.ARKIT_NAMES[0] == "eyeBlinkLeft" and arkit.ARKIT_NAMES[-1] == "tongueOut"


def test_kept_basis_drives_each_target_at_most_once_and_round_trips() -> None:
    assert arkit.KEPT_BASIS.shape == (arkit.K, 52)
    assert arkit.KEPT_BASIS.sum(axis=0).max() == 1.0  # no target in two channels
    kept = np.random.default_rng(0).uniform(0, 1, size=(7, arkit.K)).astype(np.float32)
    coeffs = arkit.to_arkit(kept)
    np.testing.assert_allclose(arkit.to_kept(coeffs), kept, atol=1e-6)
    left = arkit.KEPT_INDEX["eyeLookLeft"]
    out_left, in_right = arkit.ARKIT_INDEX["eyeLookOutLeft"], arkit.ARKIT_INDEX["eyeLookInRight"]
    assert coeffs[0, out_left] == coeffs[0, in_right] == kept[0, left]
    dropped = {n for n in arkit.ARKIT_NAMES if arkit.KEPT_BASIS[:, arkit.ARKIT_INDEX[n]].sum() == 0}
    assert dropped == {"cheekPuff", "jawForward", "jawLeft", "jawRight", "mouthRight", "mouthShrugUpper",
                       "noseSneerLeft", "noseSneerRight"}


def test_normalise_round_trips_and_spans_minus_one_to_one() -> None:
    kept = np.array([[0.0] * arkit.K, [1.0] * arkit.K], np.float32)
    pose = np.array([[-25.0, 20.0, 0.0], [5.0, -20.0, 15.0]], np.float32)
    x = arkit.normalise(kept, pose)
    assert x.shape == (2, arkit.K + 3) and x.min() == -1.0 and x.max() == 1.0
    k2, p2 = arkit.denormalise(x)
    np.testing.assert_allclose(k2, kept)
    np.testing.assert_allclose(p2, pose, atol=1e-5)


@pytest.mark.parametrize(
    ("kept", "pose", "message"),
    [
        (np.zeros((3, 5)), np.zeros((3, 3)), "KEPT coefficients"),
        (np.zeros((3, arkit.K)), np.zeros((2, 3)), "pose must be"),
        (np.full((3, arkit.K), 1.5), np.zeros((3, 3)), "out of range"),
        (np.full((3, arkit.K), np.nan), np.zeros((3, 3)), "finite"),
        (np.zeros((3, arkit.K)), np.array([[0.0, 30.0, 0.0]] * 3), "pitch exceeds"),
    ],
)
def test_validate_rejects_bad_tracks_with_a_clear_sentence(kept: np.ndarray, pose: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        arkit.validate(kept, pose)


def test_rig_track_gives_channels_and_arkit_coefficients() -> None:
    kept = np.zeros((4, arkit.K), np.float32)
    kept[:, arkit.KEPT_INDEX["mouthSmile"]] = 0.5
    track = arkit.RigTrack(kept, np.zeros((4, 3), np.float32), fps=25.0)
    assert len(track) == 4
    assert track.arkit()[0, arkit.ARKIT_INDEX["mouthSmileRight"]] == 0.5
    np.testing.assert_array_equal(track.channel("mouthSmile"), 0.5)
    with pytest.raises(ValueError, match="Unknown KEPT channel"):
        track.channel("smile")
    with pytest.raises(ValueError, match="fps"):
        arkit.RigTrack(kept, np.zeros((4, 3), np.float32), fps=0.0)
