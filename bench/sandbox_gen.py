"""World generation time and size (issue 2 targets: demo <= 2 min, large <= 10 min).

Worlds are cached under `.sandbox/` (CASHBOOK_SANDBOX_DIR) and generated once: when the world
is already there this reports the measurement saved beside it when it was generated (a
`<world>.gen.json` sidecar) instead of spending minutes again; `--force` regenerates.

    .venv/bin/python -m bench.sandbox_gen --size demo [--seed 42] [--force] [--json-out F]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.common import cpu_seconds_self, self_peak_rss_mb, write_json


def sidecar(world: Path) -> Path:
    return world.with_name(world.name + ".gen.json")


def generate_and_measure(size: str, seed: int, *, force: bool = False) -> dict:
    """Generate the cached world of (size, seed) unless present; the measurement either way."""
    from pipelines.sandbox.cli import world_path
    from pipelines.sandbox.generate import generate_world

    world = world_path(size, seed)
    if world.exists() and not force:
        saved = json.loads(sidecar(world).read_text()) if sidecar(world).exists() else {}
        return {**saved, "world": str(world), "cached": True,
                "world_mb": round(world.stat().st_size / 1e6, 1)}
    began = time.perf_counter()
    cpu0 = cpu_seconds_self()
    summary = generate_world(world, size=size, seed=seed)
    measured = {
        "size": size, "seed": seed, "seconds": round(time.perf_counter() - began, 2),
        "cpu_s": round(cpu_seconds_self() - cpu0, 2), "peak_rss_mb": self_peak_rss_mb(),
        "objects": summary.objects, "events": summary.events,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    sidecar(world).write_text(json.dumps(measured, indent=2))
    return {**measured, "world": str(world), "cached": False,
            "world_mb": round(world.stat().st_size / 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="demo")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--force", action="store_true", help="regenerate even when cached")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    report = generate_and_measure(args.size, args.seed, force=args.force)
    write_json(args.json_out, report)
    how = "cached; measured when generated" if report["cached"] else "generated now"
    print(f"world {args.size}-{args.seed}: {report.get('objects', '?')} objects, "
          f"{report.get('seconds', '?')} s ({how}) -> {report['world']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
