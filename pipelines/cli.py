"""The `cashbook` command. Each area registers its own sub-commands; this module only dispatches."""
from __future__ import annotations

import argparse
import importlib
import sys

# (sub-command, module with `register(subparsers)`); a module adds its own parser and sets `func`.
COMMAND_MODULES = (
    "pipelines.sandbox.cli",
    "pipelines.stripe.cli",
    "pipelines.payouts.cli",
    "pipelines.files_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cashbook", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that area is not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
