"""Clustering corrections into patterns (pure; scikit-learn, seeded, deterministic).

Method: the diff features of each correction (``features``) are weighted by TF-IDF (sublinear tf,
rows L2-normalised), and k-means runs on those sparse unit vectors — spherical k-means in effect,
i.e. clusters by cosine similarity. Identical feature bags are clustered once, weighted by their
count. k is chosen from 2..``max_clusters`` by the mean silhouette (cosine, on a seeded sample of
corrections): the smallest k within ``SILHOUETTE_TOLERANCE`` of the best, because finer splits of one
theme score almost as well and help nobody.

No dimensionality reduction on purpose: measured on the demo, truncated SVD (40 components) let
"time → in N minutes" fixes share components with the date-format fix, and k-means then put ~250 of
them into the date pattern (half of it); on the sparse vectors the date pattern is pure (221/221,
253/253, 254/254 sampled corrections on seeds 7, 1, 2).

Identity: a pattern's key is a hash of its two strongest features (the centroid's largest TF-IDF
weights), so the same kind of fix gets the same key from one run to the next and an insight about it
is deduplicated; the two strongest features of a coherent theme (``99/99/9999>9999-99-99``,
``-99/99/9999``) do not move between runs, while weaker ones may.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from core.insights.patterns.features import describe

MIN_TO_CLUSTER = 20  # fewer corrections: one pattern
SILHOUETTE_TOLERANCE = 0.02
SILHOUETTE_SAMPLE = 1000
KEY_TERMS = 2
LABEL_TERMS = 3


@dataclass(frozen=True)
class Clustering:
    labels: NDArray[np.int64]  # one cluster index per input correction
    terms: tuple[tuple[str, ...], ...]  # per cluster: strongest features first
    similarity: NDArray[np.float64]  # per correction: cosine to its cluster's centroid (for examples)
    k: int
    silhouette: float | None


def pattern_key(terms: Sequence[str]) -> str:
    signature = "|".join(sorted(terms[:KEY_TERMS]))
    return "p-" + hashlib.sha1(signature.encode("utf-8")).hexdigest()[:10]


def pattern_label(terms: Sequence[str]) -> str:
    return "; ".join(describe(t) for t in terms[:LABEL_TERMS])


def _identity(features: Sequence[str]) -> Sequence[str]:
    return features


def cluster_corrections(bags: Sequence[Sequence[str]], *, max_clusters: int = 8, seed: int = 0) -> Clustering:
    """Cluster feature bags (one per correction) into patterns."""
    docs = [" ".join(bag) for bag in bags]
    unique = Counter(docs)
    keys = sorted(unique)  # sorted: the result does not depend on input order
    index = {doc: i for i, doc in enumerate(keys)}
    weights = np.array([unique[k] for k in keys], dtype=np.float64)
    vectorizer = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, lowercase=False)
    tfidf = vectorizer.fit_transform(keys)
    vocabulary = np.array(vectorizer.get_feature_names_out())
    if len(bags) < MIN_TO_CLUSTER or len(keys) < 3 or tfidf.shape[1] < 3:
        labels_u = np.zeros(len(keys), dtype=np.int64)
        k, silhouette = 1, None
    else:
        k, labels_u, silhouette = _choose_k(tfidf, weights, max_clusters, seed)
    centroids = _centroids(tfidf, labels_u, weights, k)
    terms = tuple(_top_terms(vocabulary, c) for c in centroids)
    similarity_u = _cosine_to_centroid(tfidf, centroids, labels_u)
    rows = np.array([index[d] for d in docs], dtype=np.int64)
    return Clustering(labels_u[rows], terms, similarity_u[rows], k, silhouette)


def _choose_k(
    points: sparse.csr_matrix, weights: NDArray[np.float64], max_clusters: int, seed: int
) -> tuple[int, NDArray[np.int64], float]:
    distinct = points.shape[0]  # distinct feature bags
    candidates: list[tuple[int, NDArray[np.int64], float]] = []
    # silhouette over corrections, not distinct bags: a seeded sample of rows, drawn by count
    rows = np.repeat(np.arange(points.shape[0]), weights.astype(np.int64))
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(SILHOUETTE_SAMPLE, rows.size), replace=False))
    for k in range(2, min(max_clusters, distinct - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(points, sample_weight=weights).labels_
        if len(set(labels[sample].tolist())) < 2:
            continue
        score = float(silhouette_score(points[sample], labels[sample], metric="cosine"))
        candidates.append((k, labels.astype(np.int64), score))
    if not candidates:
        return 1, np.zeros(points.shape[0], dtype=np.int64), float("nan")
    best = max(score for _, _, score in candidates)
    return next(c for c in candidates if c[2] >= best - SILHOUETTE_TOLERANCE)


def _centroids(
    tfidf: sparse.csr_matrix, labels: NDArray[np.int64], weights: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    out = np.zeros((k, tfidf.shape[1]))
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size:
            w = weights[members]
            out[c] = np.asarray(tfidf[members].multiply(w[:, None]).sum(axis=0)).ravel() / w.sum()
    return out


def _top_terms(vocabulary: NDArray[np.str_], centroid: NDArray[np.float64], n: int = 8) -> tuple[str, ...]:
    order = np.argsort(-centroid, kind="stable")[:n]
    return tuple(str(vocabulary[i]) for i in order if centroid[i] > 0)


def _cosine_to_centroid(
    tfidf: sparse.csr_matrix, centroids: NDArray[np.float64], labels: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Rows of ``tfidf`` are unit vectors already (TfidfVectorizer's l2 norm)."""
    unit = normalize(centroids)
    return np.asarray(tfidf.multiply(unit[labels]).sum(axis=1), dtype=np.float64).ravel()
