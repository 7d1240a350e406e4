"""Training data: the corpus builder (real video), face alignment, actor datasets and tensors."""
