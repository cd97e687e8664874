"""Simulation benchmark of the statistics engine (issue 4).

    python -m bench.stats_sim --reps 2000 --seed 1 [--verbose]

Prints exactly one JSON line: each rate with its Monte Carlo standard error (``<key>_mcse``), the
fixed-horizon sample sizes and sequential tuning used, and ``targets_met`` judged as the issue
states them.  Scenarios (α = 0.05 two-sided everywhere; MDE = +0.03 absolute):

* sequential: binary metric p = 0.70 and a Beta score with mean 0.70, sd 0.20; each experiment runs
  to 2× the fixed-horizon n per group (from ``core.stats.power`` at 80 % power) and is read at 100
  equally spaced looks.  The sequence is tuned for the planned fixed-horizon total (``horizon_from_plan``).
* SRM: a planned 50/50 split with true 48/52 (20 000 and 10 000 units) and 50/50 (20 000 units).
* sections: 20 null + 5 real (+0.06) section effects, inclusion confounded with input difficulty,
  estimated by post-stratification and adjusted by Benjamini–Hochberg; and one null section for
  the naive "with − without > 0.05" rule against the adjusted estimate.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench import _stats_sections as sections
from bench import _stats_sequential as seq
from core.stats.power import sample_size_means, sample_size_proportions
from core.stats.sequential import horizon_from_plan, rho_for_horizon

log = logging.getLogger("bench.stats_sim")

BASELINE, SCORE_SD, MDE = 0.70, 0.20, 0.03
BINARY = seq.Metric("binary", BASELINE, math.sqrt(BASELINE * (1 - BASELINE)))
SCORE = seq.Metric("score", BASELINE, SCORE_SD)


def _rate(flags: NDArray[Any]) -> tuple[float, float]:
    """Mean and its Monte Carlo standard error (sd / √reps)."""
    values = np.asarray(flags, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def _put(out: dict[str, Any], key: str, flags: NDArray[Any]) -> None:
    out[key], out[f"{key}_mcse"] = (round(v, 5) for v in _rate(flags))


def _sequential(out: dict[str, Any], reps: int, rng: np.random.Generator) -> None:
    n_fixed = {
        "binary": sample_size_proportions(BASELINE, MDE).n_control,
        "score": sample_size_means(MDE, SCORE_SD).n_control,
    }
    for metric in (BINARY, SCORE):
        n = n_fixed[metric.kind]
        horizon = horizon_from_plan(n)
        out[f"n_fixed_{metric.kind}"] = n
        out[f"tuning_horizon_{metric.kind}"] = horizon
        out[f"rho_{metric.kind}"] = round(rho_for_horizon(horizon, seq.ALPHA), 6)
        suffix = "" if metric is BINARY else "_score"
        aa = seq.simulate(metric, 0.0, n, reps, rng)
        _put(out, f"aa_fpr_{metric.kind}", aa.sequential)
        _put(out, f"naive_fpr_{metric.kind}", aa.naive)
        _put(out, f"peeking_fixed_fpr_{metric.kind}", aa.fixed_peeking)
        at_mde = seq.simulate(metric, MDE, n, reps, rng)
        _put(out, f"power_seq_at_mde{suffix}", at_mde.sequential)
        _put(out, f"power_fixed_at_mde{suffix}", at_mde.fixed_once)
        at_2mde = seq.simulate(metric, 2 * MDE, n, reps, rng)
        _put(out, f"n_ratio_at_2mde{suffix}", at_2mde.stop_n / n)
        log.info("sequential %s done: n_fixed=%d", metric.kind, n)


def _srm(out: dict[str, Any], reps: int, rng: np.random.Generator) -> None:
    _put(out, "srm_detect_48_52_at_20k", sections.srm_flag_rate(0.48, 20_000, reps, rng))
    _put(out, "srm_detect_48_52_at_10k", sections.srm_flag_rate(0.48, 10_000, reps, rng))
    _put(out, "srm_false_alarm", sections.srm_flag_rate(0.50, 20_000, reps, rng))
    log.info("srm done")


def _sections(out: dict[str, Any], reps: int, rng: np.random.Generator) -> None:
    family = sections.section_family(reps, rng)
    _put(out, "bh_fdr", family.bh_fdp)
    _put(out, "bh_power", family.bh_power)
    _put(out, "holm_fwer", family.holm_any_false)
    _put(out, "unadjusted_fdr", family.unadjusted_fdp)
    confounded = sections.confounded_null(reps, rng)
    _put(out, "confounded_null_flagged_naive", confounded.naive_rule)
    _put(out, "confounded_null_flagged_adjusted", confounded.adjusted)
    log.info("sections done")


def _targets(out: dict[str, Any]) -> dict[str, bool]:
    def within(key: str, bound: float) -> bool:
        return bool(out[key] <= bound + 2 * out[f"{key}_mcse"])

    return {
        "aa_fpr_binary": within("aa_fpr_binary", 0.05),
        "aa_fpr_score": within("aa_fpr_score", 0.05),
        "power_seq_at_mde": out["power_seq_at_mde"] >= 0.80,
        "n_ratio_at_2mde": out["n_ratio_at_2mde"] <= 0.5,
        "srm_detect_48_52_at_20k": out["srm_detect_48_52_at_20k"] >= 0.99,
        "bh_fdr": out["bh_fdr"] <= 0.05,
        "confounded_null_flagged_adjusted": within("confounded_null_flagged_adjusted", 0.05),
    }


def run(reps: int, seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    # independent streams per block, so changing one block never shifts another's draws
    seq_rng, srm_rng, sec_rng = np.random.default_rng(seed).spawn(3)
    out: dict[str, Any] = {}
    _sequential(out, reps, seq_rng)
    _srm(out, reps, srm_rng)
    _sections(out, reps, sec_rng)
    out["targets_met"] = _targets(out)
    out.update(alpha=seq.ALPHA, mde=MDE, looks=seq.LOOKS, reps=reps, seed=seed)
    out["elapsed_s"] = round(time.perf_counter() - start, 1)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    print(json.dumps(run(args.reps, args.seed)))


if __name__ == "__main__":
    main()
