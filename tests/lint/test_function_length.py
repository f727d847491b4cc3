#!/usr/bin/env python3
"""Tests of function_length.py on its fixtures: it must reject a function of 81 lines (naming its file,
line and length), accept one of exactly 80 among shapes a naive brace count gets wrong (initializer
tables, constructor initializers, braces in literals, comments and macros), and refuse bad arguments.

  test_function_length.py    (run by CTest as `lint: function length checker`)
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "function_length.py")
FIXTURES = os.path.join(HERE, "fixtures")


def run(*args):
    done = subprocess.run([sys.executable, CHECKER, *args], capture_output=True, text=True, cwd=HERE)
    return done.returncode, done.stdout + done.stderr


def expect(failures, what, condition, output):
    expect.count += 1
    if not condition:
        failures.append(f"FAIL: {what}\n--- checker output ---\n{output}")


expect.count = 0


def main():
    failures = []
    too_long = os.path.join("fixtures", "too_long.cpp.fixture")
    fits = os.path.join("fixtures", "fits.cpp.fixture")

    code, out = run(too_long)
    expect(failures, "an 81-line function is rejected (exit 1)", code == 1, out)
    expect(failures, "the offender is named with file:line and length",
           f"{too_long}:14: function of 81 lines (limit 80): int too_long(int total)" in out, out)
    expect(failures, "only the long function is reported", out.count("function of") == 1, out)

    code, out = run(fits)
    expect(failures, "an 80-line function and tables, initializers and literals pass (exit 0)", code == 0, out)

    code, out = run("--max-lines", "79", fits)
    expect(failures, "the 80-line function is found under a limit of 79", code == 1, out)
    expect(failures, "and it is the only one (the table, ctor and literals are not functions)",
           out.count("function of") == 1 and "function of 80 lines" in out and "exactly_eighty" in out, out)

    code, out = run("--max-lines", "2", fits)
    found = [line.split(": ", 2)[-1] for line in out.splitlines() if "function of" in line]
    expect(failures, "every function of the fixture is seen: constructor with braced initializers, operator!=, "
           "default argument, trailing return type, template (and the table is not one)",
           code == 1 and len(found) == 6 and all(any(name in f for f in found) for name in
                                                 ("Widget(int a", "operator!=", "scaled(int k = 2)", "later()",
                                                  "exactly_eighty", "twice(T x)")), out)

    code, out = run()
    expect(failures, "no files and no --root is a usage error (exit 2)", code == 2, out)
    code, out = run("--max-lines", "0", fits)
    expect(failures, "--max-lines 0 is a usage error (exit 2)", code == 2 and "--max-lines" in out, out)
    code, out = run(os.path.join(FIXTURES, "missing.cpp"))
    expect(failures, "an unreadable file is named (exit 2)", code == 2 and "missing.cpp" in out, out)

    for f in failures:
        print(f)
    print(f"{expect.count - len(failures)} of {expect.count} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
