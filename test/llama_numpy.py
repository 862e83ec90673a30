"""An independent float64 forward pass of a Hugging Face LlamaForCausalLM in numpy, for the
cross-check in test/node/llama/numpy.test.ts. Usage:

    python3 test/llama_numpy.py MODEL_DIR < windows.json > nll.json

windows.json is {"windows": [[id, id, ...], ...]}; the answer is {"nll": [...], "count": [...]}:
per window, the summed negative log-likelihood (natural log) of every token after the first,
given the tokens before it. Written from the architecture, not from the library's code: weights
come straight from model.safetensors (F32), every operation runs in float64.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    base = 8 + size
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", (name, meta["dtype"])
        lo, hi = meta["data_offsets"]
        flat = np.frombuffer(blob[base + lo:base + hi], dtype="<f4")
        tensors[name] = flat.reshape(meta["shape"]).astype(np.float64)
    return tensors


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, theta):
    # x: [heads, T, d]; the two halves of each head are the pair (cos, sin) rotates.
    heads, T, d = x.shape
    half = d // 2
    freq = theta ** (-np.arange(half, dtype=np.float64) * 2.0 / d)
    angle = np.arange(T, dtype=np.float64)[:, None] * freq[None, :]
    c, s = np.cos(angle), np.sin(angle)
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * c - b * s, b * c + a * s], axis=-1)


def forward_nll(t, cfg, ids):
    n = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    d = cfg.get("head_dim") or n // heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    emb = t.get("model.embed_tokens.weight", t.get("lm_head.weight"))
    head = emb if cfg.get("tie_word_embeddings", False) else t["lm_head.weight"]
    T = len(ids)
    x = emb[np.asarray(ids)]
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, t[p + "input_layernorm.weight"], eps)
        q = (h @ t[p + "self_attn.q_proj.weight"].T).reshape(T, heads, d).transpose(1, 0, 2)
        k = (h @ t[p + "self_attn.k_proj.weight"].T).reshape(T, kv, d).transpose(1, 0, 2)
        v = (h @ t[p + "self_attn.v_proj.weight"].T).reshape(T, kv, d).transpose(1, 0, 2)
        q, k = rope(q, theta), rope(k, theta)
        # Each key/value head serves heads // kv consecutive query heads.
        k = np.repeat(k, heads // kv, axis=0)
        v = np.repeat(v, heads // kv, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        scores = np.where(future[None], -np.inf, scores)
        scores = scores - scores.max(axis=-1, keepdims=True)
        prob = np.exp(scores)
        prob /= prob.sum(axis=-1, keepdims=True)
        attn = (prob @ v).transpose(1, 0, 2).reshape(T, heads * d)
        x = x + attn @ t[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, t[p + "post_attention_layernorm.weight"], eps)
        g = h @ t[p + "mlp.gate_proj.weight"].T
        u = h @ t[p + "mlp.up_proj.weight"].T
        x = x + ((g / (1.0 + np.exp(-g))) * u) @ t[p + "mlp.down_proj.weight"].T
    logits = rms_norm(x, t["model.norm.weight"], eps)[:-1] @ head.T
    top = logits.max(axis=-1, keepdims=True)
    lse = (top + np.log(np.exp(logits - top).sum(axis=-1, keepdims=True)))[:, 0]
    targets = np.asarray(ids[1:])
    return float(np.sum(lse - logits[np.arange(T - 1), targets])), T - 1


def main():
    model_dir = sys.argv[1]
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    tensors = read_safetensors(model_dir + "/model.safetensors")
    windows = json.load(sys.stdin)["windows"]
    out = {"nll": [], "count": []}
    for ids in windows:
        nll, count = forward_nll(tensors, cfg, ids)
        out["nll"].append(nll)
        out["count"].append(count)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
