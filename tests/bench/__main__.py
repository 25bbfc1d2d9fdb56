"""`python -m tests.bench`: run every benchmark script; each prints one JSON line per figure."""
import importlib
import pkgutil
import sys
import traceback

import tests.bench as pkg


def main() -> int:
    failed = 0
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        print(f"# {info.name}", flush=True)
        try:
            module = importlib.import_module(f"tests.bench.{info.name}")
            module.main()
        except Exception:
            failed += 1
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
