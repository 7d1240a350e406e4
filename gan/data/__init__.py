"""Training data only: the actor corpus builder (build.py), the video corpus builder (corpus.py, with
face_align.py, corpus_labels.py, video_rig.py) and the shard reader/writer (rig_corpus.py)."""
