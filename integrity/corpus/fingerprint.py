"""Fingerprints of match keys: character k-gram hashes, chunk MinHash signatures and LSH band hashes.

Why our own vectorised loop around datasketch: a paper has ~100 overlapping query windows; hashing every
shingle once and taking window minima with ``np.minimum.reduceat`` is ~50x faster than one
``datasketch.MinHash`` per window, yet gives bit-identical signatures (same affine32 permutations and
MurmurHash3 pre-mix, see tests/integrity/corpus/test_fingerprint.py). Hashes are deterministic
(no Python ``hash()``, which is salted per process) because band hashes are stored on disk / in Redis.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_B = np.uint64(0x100000001B3)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def codepoints(key: str) -> np.ndarray:
    return np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def kgram_hashes(key: str | np.ndarray, k: int) -> np.ndarray:
    """64-bit hash of every k-character substring (``len(key) - k + 1`` values, uint64)."""
    cp = codepoints(key) if isinstance(key, str) else key
    n = len(cp) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = (h * _B) ^ cp[j : j + n]
        return _fmix64(h)


def chunk_spans(n: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Windows ``[s, e)`` of ``size`` characters every ``stride``; the last one ends at ``n``."""
    if n <= size:
        return [(0, n)] if n > 0 else []
    spans = [(s, s + size) for s in range(0, n - size + 1, stride)]
    if spans[-1][1] < n:
        spans.append((n - size, n))
    return spans


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (``MinHash(scheme="affine32").permutations``).

    Re-derived here instead of imported: ``import datasketch`` pulls in scipy (~0.6 s), which every
    ``integrity check`` process would pay. The equality is asserted in the tests."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def shingle_hash32(hashes64: np.ndarray) -> np.ndarray:
    """Fold 64-bit k-gram hashes to the 32-bit values fed to MinHash (its ``hashfunc`` output)."""
    return ((hashes64 >> np.uint64(32)) ^ hashes64).astype(np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer, as datasketch applies it before the affine permutations."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))


class MinHasher:
    """Chunk signatures over character ``shingle``-grams, identical to datasketch affine32 MinHash."""

    def __init__(self, num_perm: int, shingle: int = 3, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.shingle = shingle
        self.a, self.b = _permutations(num_perm, seed)

    def signatures(self, key: str, spans: list[tuple[int, int]], block: int = 2048) -> np.ndarray:
        """One signature row per span of ``key`` (uint32, ``len(spans) x num_perm``)."""
        out = np.empty((len(spans), self.num_perm), dtype=np.uint32)
        if not spans:
            return out
        hv = fmix32(shingle_hash32(kgram_hashes(key, self.shingle)))
        k = self.shingle
        # Process spans in groups so the permuted-hash matrix stays small for long documents.
        i = 0
        while i < len(spans):
            j = i + 1
            lo = spans[i][0]
            while j < len(spans) and spans[j][1] - lo <= block:
                j += 1
            hi = max(e for _, e in spans[i:j])
            seg = hv[lo : max(lo + 1, hi - k + 1)]
            if len(seg) == 0:
                out[i:j] = np.iinfo(np.uint32).max
                i = j
                continue
            with np.errstate(over="ignore"):
                phv = seg[:, None] * self.a[None, :] + self.b[None, :]
            phv = np.vstack([phv, np.zeros((1, self.num_perm), dtype=np.uint32)])
            idx: list[int] = []
            for s, e in spans[i:j]:
                a = min(s - lo, len(seg) - 1)
                z = max(a + 1, e - k + 1 - lo)
                idx.extend((a, min(z, len(seg))))
            red = np.minimum.reduceat(phv, np.asarray(idx, dtype=np.intp), axis=0)
            out[i:j] = red[0::2]
            i = j
        return out


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys: one signed 64-bit hash per (signature, band) — ``len(signatures) x bands`` int64."""
    n = len(signatures)
    if n == 0:
        return np.zeros((0, bands), dtype=np.int64)
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    with np.errstate(over="ignore"):
        h = np.broadcast_to((np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _M2, (n, bands)).copy()
        for j in range(rows):
            h = _fmix64((h * _B) ^ sig[:, :, j])
    return h.view(np.int64)
