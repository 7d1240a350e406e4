"""Speech for the avatar (piper TTS with phoneme timings) and the mel features the networks read."""
