#!/usr/bin/env python3
"""Fails when a C++/CUDA function body is longer than the house limit (~80 lines).

  function_length.py --root DIR [--max-lines N]   every tracked-looking source file below DIR
  function_length.py [--max-lines N] FILE...      just these files (any extension)

A tree scan reads .cpp, .hpp, .cu and .cuh files, except the kernels' device code (kernels/**/*.cu
and *.cuh) and build folders. Each offender is printed as `file:line: function of N lines (limit M):
head`, and the exit code is 1; 0 when every function fits, 2 on bad arguments.

The scan is a brace matcher, not a parser: comments, string and character literals and preprocessor
lines are blanked first; then a `{` met outside any function opens a function body when the text
before it (since the last `;`, `{` or `}` of that scope) has a parameter list and is not a
namespace, class, struct, union or enum, nor an initializer. Braces inside a body (blocks, lambdas,
local classes) belong to that body. A length is counted from the line of the opening `{` to the
line of the closing `}`, both included.
"""
import argparse
import os
import re
import sys

DEFAULT_MAX_LINES = 80
SOURCE_EXTENSIONS = (".cpp", ".hpp", ".cu", ".cuh")
DEVICE_CODE_EXTENSIONS = (".cu", ".cuh")
SKIPPED_DIRS = {".git", "third_party"}
SCOPE_KEYWORDS = ("namespace", "class", "struct", "union", "extern")
IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_>]")
ACCESS_SPECIFIER = re.compile(r"\s*(?:(?:public|private|protected)\s*:(?!:)\s*)*")


def blank_comments_and_literals(text):
    """The text with comments, literals and preprocessor lines replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its backslash continuations.
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                out.append("\n" if text[i] == "\n" else " ")
                i += 1
            continue
        if c == "/" and text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.extend("\n" if ch == "\n" else " " for ch in text[i:end])
            i = end
            continue
        raw = re.match(r'R"([^(\s]*)\(', text[i:i + 20]) if c == "R" else None
        if raw and (i == 0 or not re.match(r"[A-Za-z0-9_]", text[i - 1])):
            close = ")" + raw.group(1) + '"'
            end = text.find(close, i + len(raw.group(0)))
            end = n if end < 0 else end + len(close)
            out.extend("\n" if ch == "\n" else " " for ch in text[i:end])
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and re.match(r"[0-9A-Fa-f]", text[i - 1]) and i + 1 < n and \
                    re.match(r"[0-9A-Fa-f]", text[i + 1]):
                out.append(" ")  # digit separator, as in 1'000'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.extend(" " * (min(j, n - 1) - i + 1))
            i = j + 1
            continue
        at_line_start = c == "\n" or (at_line_start and c in " \t")
        out.append(c)
        i += 1
    return "".join(out)


def strip_template_prefix(head):
    """`template <...> rest` -> `rest` (nested angle brackets included)."""
    while head.startswith("template"):
        depth, i = 0, len("template")
        while i < len(head):
            if head[i] == "<":
                depth += 1
            elif head[i] == ">":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        head = head[i + 1:].lstrip()
    return head


def top_level_text(head):
    """The head with everything inside () and [] removed, to look for `=` outside them."""
    depth, kept = 0, []
    for ch in head:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(ch)
    return "".join(kept)


def classify(head, before_brace):
    """What a `{` outside any function opens: 'scope', 'function' or 'initializer'."""
    head = strip_template_prefix(" ".join(head[ACCESS_SPECIFIER.match(head).end():].split()))
    first_word = re.match(r"[A-Za-z_]*", head).group(0)
    if first_word in SCOPE_KEYWORDS or (first_word == "" and head == ""):
        return "scope"
    if first_word == "enum" or "(" not in head:
        return "initializer"
    outside = re.sub(r"operator\s*[^\s\w(]+", "operator", top_level_text(head))  # operator!=, <=, =
    if "=" in outside.replace("==", "") and "[" not in head:
        return "initializer"
    # A constructor's member initializer `member{value}` after `) :`.
    if re.search(r"\)\s*(noexcept\s*)?:(?!:)", head) and IDENTIFIER_CHAR.match(before_brace or " "):
        return "initializer"
    return "function"


def matching_brace(text, open_index):
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def long_functions(text, max_lines):
    """(line of the head, body lines, head) of every function body longer than max_lines."""
    code = blank_comments_and_literals(text)
    found = []
    head_start = 0  # where the current scope's pending head begins
    i = 0
    while i < len(code):
        c = code[i]
        if c in ";}":
            head_start = i + 1
        elif c == "{":
            head = code[head_start:i]
            before = code[:i].rstrip()[-1:] if code[:i].strip() else ""
            kind = classify(head, before)
            if kind == "scope":
                head_start = i + 1  # descend: the scope's declarations are scanned in turn
            else:
                end = matching_brace(code, i)
                if kind == "function":
                    lines = code.count("\n", i, end) + 1
                    if lines > max_lines:
                        start = head_start + ACCESS_SPECIFIER.match(head).end()
                        head_line = code.count("\n", 0, start) + 1
                        found.append((head_line, lines, " ".join(text[start:i].split())[:100]))
                    head_start = end + 1
                i = end  # an initializer's braces are skipped; its head continues (`x{1}, y{2} {`)
        i += 1
    return found


def tree_files(root):
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        parts = [] if rel == "." else rel.split(os.sep)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("build"))
        for name in sorted(files):
            if not name.endswith(SOURCE_EXTENSIONS):
                continue
            if parts[:1] == ["kernels"] and name.endswith(DEVICE_CODE_EXTENSIONS):
                continue  # the kernels' device code is exempt
            yield os.path.join(folder, name)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="scan the C++/CUDA sources below this folder")
    parser.add_argument("--max-lines", type=int, default=DEFAULT_MAX_LINES)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    if bool(args.root) == bool(args.files) or args.max_lines < 1:
        parser.print_usage(sys.stderr)
        print("function_length.py: give --root DIR or files (not both), and --max-lines of 1 or more",
              file=sys.stderr)
        return 2
    paths = list(tree_files(args.root)) if args.root else args.files
    base = args.root or os.curdir
    offenders = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            print(f"function_length.py: cannot read {path}: {e.strerror}", file=sys.stderr)
            return 2
        for line, length, head in long_functions(text, args.max_lines):
            offenders += 1
            print(f"{os.path.relpath(path, base)}:{line}: function of {length} lines "
                  f"(limit {args.max_lines}): {head}")
    if offenders:
        print(f"{offenders} function(s) over {args.max_lines} lines: split them into named helpers")
        return 1
    print(f"{len(paths)} files, every function within {args.max_lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
