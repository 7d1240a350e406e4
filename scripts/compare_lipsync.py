"""Compare v1's viseme track (gan/rig/visemes.py) with v2's openfacefx lip-sync on piper sentences.

    python scripts/compare_lipsync.py [--sentences 8] [--render]

Per sentence and mean: mouth opening vs loudness (Pearson r at the best lag within +-2 frames,
RMS per frame as gan/eval uses), the opening on p/b/m frames and in silence. Without --render the
opening is the rig's own number (v1: jaw_open; v2: jawOpen - mouthClose, the jaw the lips do not
seal). With --render both tracks drive actor v2 (v1 mapped onto ARKit: jawOpen = jaw,
mouthStretch = spread, mouthPucker/Funnel = rounding; the same head pose) and the opening is
MediaPipe's inner-lip gap over face width, the eval's measure: lips closed below 2 % of face width.
v2 is the shipped Performer: openfacefx visemes + our ARKit table + the loudness-driven jaw.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from gan.data.build_v2 import SENTENCES_PATH
from gan.eval.metrics import pearson_best_lag, rms_envelope
from gan.eval.rig_check import CLOSED, bilabial_frames
from gan.rig.arkit import ARKIT_INDEX, KEPT_INDEX
from gan.rig.performance import Performer
from gan.rig.visemes import viseme_track

FPS = 25.0


def v1_to_arkit(track: np.ndarray) -> np.ndarray:
    """(T, 3) v1 jaw/width/round -> (T, 52): the v1 mouth on the v2 head, for a fair render comparison."""
    out = np.zeros((len(track), 52), np.float32)
    out[:, ARKIT_INDEX["jawOpen"]] = track[:, 0]
    for side in ("Left", "Right"):
        out[:, ARKIT_INDEX[f"mouthStretch{side}"]] = 0.4 * np.clip(track[:, 1], 0, 1)
    out[:, ARKIT_INDEX["mouthPucker"]] = 0.8 * track[:, 2] + 0.3 * np.clip(-track[:, 1], 0, 1)
    out[:, ARKIT_INDEX["mouthFunnel"]] = 0.4 * track[:, 2]
    return out


def measure(opening: np.ndarray, env: np.ndarray, pbm: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(opening)
    r, _ = pearson_best_lag(opening[ok], env[ok])
    silent = ok & (env < 0.05 * env.max())
    return {"r": r, "pbm_open": float(np.nanmean(opening[pbm])),
            "pbm_closed": float(np.mean(opening[pbm] < CLOSED)),
            "silence_open": float(np.nanmean(opening[silent])) if silent.any() else float("nan")}


def main() -> None:
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=8, help="piper sentences to compare")
    ap.add_argument("--render", action="store_true", help="measure on actor v2 renders with MediaPipe")
    args = ap.parse_args()
    from gan.audio.speech import Synthesizer

    synth = Synthesizer.load()
    performer = Performer()
    texts = [t.format(a=3, b=7, c=21, s="fractions")
             for t in json.loads(SENTENCES_PATH.read_text())["train"][: args.sentences]]
    if args.render:
        from gan.eval.rig_check import ActorTools

        tools = ActorTools()
    rows: dict[str, list[dict[str, float]]] = {"v1": [], "v2": []}
    for text in texts:
        speech = synth.synthesize(text)
        n = math.ceil((speech.duration + 0.3) * FPS)
        env = rms_envelope(speech.audio, speech.sample_rate, n, FPS)
        pbm = bilabial_frames(speech.phonemes, n, FPS)
        v1 = viseme_track(speech.phonemes, FPS, n)
        v2 = performer.perform(n, "neutral", 1.0, seed=0, phonemes=speech.phonemes, audio=speech.audio,
                               sample_rate=speech.sample_rate).track
        if not args.render:
            openings = {"v1": v1[:, 0], "v2": v2.kept[:, KEPT_INDEX["jawOpen"]] - v2.kept[:, KEPT_INDEX["mouthClose"]]}
        else:  # the same head pose for both, so only the mouth differs
            openings = {"v1": tools.mouth_openings(v1_to_arkit(v1), v2.pose),
                        "v2": tools.mouth_openings(v2.arkit(), v2.pose)}
        for name, opening in openings.items():
            rows[name].append(measure(opening, env, pbm))
        print(f"{text[:48]:48s} " + "  ".join(
            f"{k}: r {rows[k][-1]['r']:.2f} pbm {rows[k][-1]['pbm_open']:.3f}" for k in rows))
    unit = "MediaPipe gap / face width" if args.render else "rig units"
    print(f"\nmean over {len(texts)} sentences ({unit}):")
    for name, values in rows.items():
        mean = {k: float(np.nanmean([v[k] for v in values])) for k in values[0]}
        print(f"  {name}: r {mean['r']:.3f} (min {min(v['r'] for v in values):.3f})  p/b/m opening "
              f"{mean['pbm_open']:.3f}  p/b/m closed {100 * mean['pbm_closed']:.0f} %  silence "
              f"{mean['silence_open']:.3f}")


if __name__ == "__main__":
    main()
