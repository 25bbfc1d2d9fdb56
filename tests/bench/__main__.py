"""`python -m tests.bench [NAME ...]`: run every benchmark (or the named ones), each in its own process,
so one benchmark's imports and memory (torch, Qt, caches) never inflate another's figures. Each prints
one JSON line per figure; the exit code is non-zero when a benchmark crashed (not when a target is missed:
targets are reported in the JSON as "ok")."""
import pkgutil
import subprocess
import sys

import tests.bench as pkg


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("bench_"))
    if argv:
        wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in argv}
        unknown = wanted - set(names)
        if unknown:
            print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]
    crashed = []
    for name in names:
        print(f"# {name}", flush=True)
        code = subprocess.call([sys.executable, "-c", f"import tests.bench.{name} as m; m.main()"])
        if code != 0:
            crashed.append(name)
    if crashed:
        print(f"# crashed: {', '.join(crashed)}", flush=True)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
