"""A numpy/OpenBLAS peer for `iobs bench --suite layers`: SparseGPT (unstructured and N:M) on a
rows x cols float32 layer, timed the same way (the pruner alone, from W and H to the pruned W).

Written for this benchmark from the published algorithm (ALGORITHMS.md §2, §4): dead inputs, damping
0.01·mean(diag H), U = upper Cholesky factor of H⁻¹, blocks of 128 with the mask chosen per block
(unstructured) or every m columns from the current weights (N:M), per-column compensation inside the
block, one matrix product for the columns after it. Run single-threaded for a fair peer:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python3 bench/peers/sparsegpt_numpy.py --size 4096

Prints one JSON line per pattern: {"peer": "numpy-sparsegpt", "pattern", "seconds", "relError"}.
"""
import argparse
import json
import time

import numpy as np


def upper_factor_of_inverse(H, damp):
    d = H.shape[0]
    Hd = H + damp * np.mean(np.diag(H)) * np.eye(d, dtype=H.dtype)
    L = np.linalg.cholesky(Hd)
    Linv = np.linalg.inv(L)          # triangular inverse via LAPACK
    Hinv = Linv.T @ Linv             # H⁻¹ = L⁻ᵀ L⁻¹
    return np.linalg.cholesky(Hinv).T  # upper U with H⁻¹ = UᵀU


def sparsegpt(W, H, sparsity=None, n=None, m=None, block=128, damp=0.01):
    W = W.copy()
    H = H.copy()
    rows, cols = W.shape
    dead = np.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    U = upper_factor_of_inverse(H, damp).astype(W.dtype)
    done = 0
    for c0 in range(0, cols, block):
        c1 = min(c0 + block, cols)
        W1 = W[:, c0:c1].copy()
        U1 = U[c0:c1, c0:c1]
        E1 = np.zeros_like(W1)
        keep = np.ones_like(W1, dtype=bool)
        if sparsity is not None:
            score = W1 ** 2 / np.diag(U1)[None, :] ** 2
            prune = int(rows * c1 * sparsity) - done
            done += prune
            if prune > 0:
                idx = np.argpartition(score.ravel(), prune - 1)[:prune]
                keep.ravel()[idx] = False
        for i in range(c1 - c0):
            if n is not None and i % m == 0:
                g = W1[:, i:i + m] ** 2 / np.diag(U1)[i:i + m][None, :] ** 2
                low = np.argsort(g, axis=1, kind='stable')[:, :m - n]
                np.put_along_axis(keep[:, i:i + m], low, False, axis=1)
            w = W1[:, i]
            e = np.where(keep[:, i], 0, w) / U1[i, i]
            W1[:, i:] -= np.outer(e, U1[i, i:])
            W1[~keep[:, i], i] = 0
            E1[:, i] = e
        W[:, c0:c1] = W1
        W[:, c1:] -= E1 @ U[c0:c1, c1:]
    return W


def rel_error(W, Wp, H):
    D = (W - Wp).astype(np.float64)
    W64 = W.astype(np.float64)
    H64 = H.astype(np.float64)
    return float(np.sum((D @ H64) * D) / np.sum((W64 @ H64) * W64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, default=4096)
    ap.add_argument('--samples', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    d = a.size
    rng = np.random.default_rng(a.seed)
    X = rng.standard_normal((a.samples or 2 * d, d), dtype=np.float32)
    X *= np.exp(0.5 * rng.standard_normal(d)).astype(np.float32)
    H = (X.T @ X).astype(np.float32)
    W = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
    for label, kw in (('50%', dict(sparsity=0.5)), ('2:4', dict(n=2, m=4))):
        t = time.perf_counter()
        Wp = sparsegpt(W, H, **kw)
        s = time.perf_counter() - t
        print(json.dumps({'peer': 'numpy-sparsegpt', 'size': d, 'pattern': label, 'seconds': s, 'relError': rel_error(W, Wp, H)}))


if __name__ == '__main__':
    main()
