"""``evalkit judge run``: run a rubric's judges over traces from the command line.

``evalkit judge run TRACES --rubric rubric.yaml --judges judges.yaml --out verdicts.parquet``
loads the traces, runs every judge with the same cache, retries, progress bar and cost accounting
as :func:`evalkit.judges.run_judges`, writes the verdict frame atomically and prints the bill.
Exit codes: 0 done, 1 ``--max-cost`` stopped the run (or ``--fail-on-errors`` and some calls
failed), 2 bad input or usage.

``judges.yaml``::

    judges:
      strict:
        provider: openai            # openai | litellm | simulated | python
        model: gpt-4o-2024-08-06
        base_url: https://api.openai.com/v1   # optional, any OpenAI-compatible server
        api_key_env: OPENAI_API_KEY           # optional
        params: {temperature: 0}
        price: [2.50, 10.00]        # optional: USD per million input, output tokens
      sim:
        provider: simulated         # the seeded sample-data simulators, no network
        judge: judge_strict
        seed: 0
      mine:
        provider: python
        object: mypackage.judges:client   # a callable client or an evalkit Judge
        model: my-model-2025-01-01
    prices:                          # optional, extends the built-in price table
      my-model-2025-01-01: [0.1, 0.4]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError

EXIT_OK, EXIT_STOPPED, EXIT_USAGE = 0, 1, 2
_PROVIDERS = ("openai", "litellm", "simulated", "python")


def add_judge_run_parser(jsub: Any) -> None:
    """Register ``judge run`` on the ``judge`` sub-command parser."""
    run = jsub.add_parser(
        "run", help="run a rubric's judges over traces (cached, cost-tracked)",
        description="Run every judge in JUDGES over TRACES with RUBRIC. Exit 0 when done, 1 when "
                    "--max-cost stopped the run (rerun to resume from the cache), 2 on bad input.",
    )
    run.add_argument("traces", help="traces: a file, folder or glob evalkit.load_traces reads")
    run.add_argument("--rubric", required=True, metavar="YAML", help="the rubric (YAML)")
    run.add_argument("--judges", required=True, metavar="YAML", help="judges config (YAML)")
    run.add_argument("--out", required=True, metavar="FILE",
                     help="verdicts: .parquet, .csv or .jsonl")
    run.add_argument("--cache", default="judge_cache.sqlite",
                     help="judge cache file (default judge_cache.sqlite); 'none' disables")
    run.add_argument("--concurrency", type=int, default=8)
    run.add_argument("--rate-limit", type=float, metavar="PER_SECOND")
    run.add_argument("--max-cost", type=float, metavar="USD",
                     help="stop starting calls once this much has been spent")
    run.add_argument("--sample", metavar="RATES",
                     help="a rate (0.1) or per-segment rates ('data_privacy=1,*=0.1')")
    run.add_argument("--sample-by", default="segment", metavar="COLUMN")
    run.add_argument("--refresh", action="store_true", help="call again even when cached")
    run.add_argument("--max-retries", type=int, default=3)
    run.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS")
    run.add_argument("--seed", type=int, default=0, help="seeds sampling and retry jitter")
    run.add_argument("--fail-on-errors", action="store_true",
                     help="exit 1 when any call ended in an error row")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--json", action="store_true", help="machine-readable report")
    run.set_defaults(func=cmd_judge_run)


def _parse_rates(text: str) -> float | dict[str, float]:
    try:
        if "=" not in text:
            return float(text)
        out = {}
        for part in text.split(","):
            key, _, value = part.partition("=")
            out[key.strip()] = float(value)
        return out
    except ValueError:
        raise EvalkitError(f"--sample must be a rate like 0.1 or rates like "
                           f"'data_privacy=1,*=0.1'; got {text!r}.") from None


def _load_judges(path: str, traces: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    import yaml

    from evalkit.judges import Judge, JudgeConfigError, litellm_judge, openai_judge

    p = Path(path)
    if not p.is_file():
        raise JudgeConfigError(f"{p}: judges file not found.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise JudgeConfigError(f"{p}: invalid YAML ({e}).") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("judges"), Mapping):
        raise JudgeConfigError(f"{p}: needs a 'judges' mapping of name -> settings.")
    prices = data.get("prices") or {}
    if not isinstance(prices, Mapping):
        raise JudgeConfigError(f"{p}: 'prices' must map model -> [input, output]; got {prices!r}.")
    sims: dict[int, dict[str, Any]] = {}
    judges: dict[str, Any] = {}
    for name, spec in data["judges"].items():
        where = f"{p}: judges.{name}"
        if not isinstance(spec, Mapping):
            raise JudgeConfigError(f"{where}: must be a mapping; got {spec!r}.")
        provider = spec.get("provider")
        if provider not in _PROVIDERS:
            raise JudgeConfigError(f"{where}.provider must be one of {list(_PROVIDERS)}; got "
                                   f"{provider!r}.")
        params = dict(spec.get("params") or {})
        price = spec.get("price")
        price_t = tuple(price) if isinstance(price, list) else price
        if provider in ("openai", "litellm") and not spec.get("model"):
            raise JudgeConfigError(f"{where}.model is missing (pin a dated version).")
        if provider == "openai":
            key_env = spec.get("api_key_env")
            judges[name] = openai_judge(
                str(spec["model"]), base_url=spec.get("base_url"),
                api_key=os.environ.get(key_env) if key_env else None, price=price_t, **params)
        elif provider == "litellm":
            judges[name] = litellm_judge(str(spec["model"]), price=price_t, **params)
        elif provider == "simulated":
            from evalkit.sample_data.judge_sim import PROFILES, simulated_judges

            which = spec.get("judge", name)
            if which not in PROFILES:
                raise JudgeConfigError(f"{where}.judge must be one of {sorted(PROFILES)}; got "
                                       f"{which!r}.")
            seed = int(spec.get("seed", 0))
            if seed not in sims:
                sims[seed] = simulated_judges(traces, seed=seed)
            judges[name] = sims[seed][which]
        else:
            target = str(spec.get("object", ""))
            mod, _, attr = target.partition(":")
            if not mod or not attr:
                raise JudgeConfigError(f"{where}.object must be 'module:attribute'; got "
                                       f"{target!r}.")
            try:
                obj = getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError) as e:
                raise JudgeConfigError(f"{where}.object {target!r} cannot be imported ({e}).") \
                    from None
            if isinstance(obj, Judge):
                judges[name] = obj
            else:
                judges[name] = Judge(obj, model=str(spec.get("model", name)),
                                     params=params or {"temperature": 0}, price=price_t)
    return judges, dict(prices)


def _write(frame: Any, out: str) -> None:
    from evalkit._atomic import atomic_write

    suffix = Path(out).suffix.lower()
    writers = {
        ".parquet": lambda tmp: frame.to_parquet(tmp, index=False),
        ".csv": lambda tmp: frame.to_csv(tmp, index=False),
        ".jsonl": lambda tmp: frame.to_json(tmp, orient="records", lines=True,
                                            force_ascii=False),
    }
    if suffix not in writers:
        raise EvalkitError(f"--out must end in .parquet, .csv or .jsonl; got {out!r}.")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, writers[suffix])


def cmd_judge_run(args: argparse.Namespace) -> int:
    """``evalkit judge run``: 0 done, 1 stopped by --max-cost (or errors with the flag), 2 bad."""
    from evalkit.judges import Rubric, run_judges, summarize_run
    from evalkit.traces import load_traces

    rubric = Rubric.from_yaml(args.rubric)
    traces = load_traces(args.traces)
    judges, prices = _load_judges(args.judges, traces)
    cache = None if args.cache.lower() == "none" else args.cache
    frame = run_judges(
        traces, rubric, judges, cache=cache, concurrency=args.concurrency,
        max_cost=args.max_cost, sample=_parse_rates(args.sample) if args.sample else None,
        sample_by=args.sample_by, refresh=args.refresh, rate_limit=args.rate_limit,
        max_retries=args.max_retries, timeout=args.timeout, prices=prices,
        progress=not args.no_progress, rng=args.seed)
    _write(frame, args.out)
    info = frame.attrs["judge_run"]
    summary = summarize_run(frame)
    stopped = bool(info["stopped"])
    failed = bool(args.fail_on_errors and info["n_errors"])
    if args.json:
        print(json.dumps({
            "out": args.out, "rubric": rubric.name, "rubric_version": rubric.version,
            "rubric_hash": rubric.content_hash, "n_traces": info["n_traces"],
            "n_calls": info["n_calls"], "n_cache_hits": info["n_cache_hits"],
            "n_errors": info["n_errors"], "cost_usd": info["cost_usd"], "stopped": stopped,
            "judges": summary.frame.to_dict("records"),
        }, indent=2, default=str))
    else:
        print(f"rubric {rubric.name} v{rubric.version} ({rubric.content_hash[:12]}): "
              f"{info['n_traces']} traces x {len(judges)} judges -> {args.out}")
        print(f"  {info['n_calls']} calls, {info['n_cache_hits']} cache hits, "
              f"{info['n_errors']} calls without a verdict, cost ${info['cost_usd']:.4f}")
        for r in summary.frame.to_dict("records"):
            print(f"  {r['judge']} ({r['model']}): ${r['cost_usd']:.4f}, "
                  f"{r['n_errors']} errors, {r['n_cache_hits']} cached")
        if stopped:
            print(f"stopped: --max-cost {args.max_cost:g} USD reached; rerun to resume from the "
                  "cache", file=sys.stderr)
    return EXIT_STOPPED if stopped or failed else EXIT_OK
