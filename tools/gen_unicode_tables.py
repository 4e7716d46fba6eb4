#!/usr/bin/python3
"""Generates src/text/unicode_tables_class.cpp and src/text/unicode_tables_norm.cpp.

The tables reproduce, from Python's own `unicodedata` and `str` methods, exactly what the Python
reference tokenizers see: general categories (BasicTokenizer's cleanup, the CLIP regex classes),
str.isspace, str.lower() (with Final_Sigma), Unicode decimals (float() of a weight) and NFC.
Run it with the Python whose Unicode version the reference ids were made with (Debian bookworm's
/usr/bin/python3 = 3.11, Unicode 14.0.0):

    /usr/bin/python3 tools/gen_unicode_tables.py            # writes the two files
    /usr/bin/python3 tools/gen_unicode_tables.py --check    # exit 1 when they are out of date

Standard library only. Output is deterministic.
"""
import argparse
import os
import sys
import unicodedata

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT_CLASS = os.path.join(ROOT, "src", "text", "unicode_tables_class.cpp")
OUT_NORM = os.path.join(ROOT, "src", "text", "unicode_tables_norm.cpp")
MAX_CP = 0x110000

# Values of tables::kClass* in src/text/unicode_tables.h.
OTHER, LETTER, NUMBER, CONTROL, SPACE_SEP, LINE_SEP, LETTER_CASE = range(7)


def char_class(cp):
    c = chr(cp)
    cat = unicodedata.category(c)
    if cat[0] == "L":
        return LETTER
    if cat[0] == "N":
        return NUMBER
    if cat[0] == "C":
        return CONTROL
    if cat == "Zs":
        return SPACE_SEP
    if cat in ("Zl", "Zp"):
        return LINE_SEP
    # CLIP's pattern is compiled with IGNORECASE: the `regex` module matches a class when any case
    # variant of the character is in it, so a mark whose upper case is a letter (U+0345) matches
    # neither [\p{L}] nor [^\s\p{L}\p{N}] and is dropped like white space.
    for variant in (c.upper(), c.lower(), c.casefold()):
        if len(variant) == 1 and unicodedata.category(variant)[0] == "L":
            return LETTER_CASE
    return OTHER


def runs(values):
    """[(first, last, value)] for the maximal runs of equal non-zero values of a per-cp list."""
    out = []
    for cp, v in enumerate(values):
        if not v:
            continue
        if out and out[-1][1] == cp - 1 and out[-1][2] == v:
            out[-1][1] = cp
        else:
            out.append([cp, cp, v])
    return out


def lower_runs():
    pairs = []
    for cp in range(MAX_CP):
        low = chr(cp).lower()
        if len(low) == 1 and low != chr(cp):
            pairs.append((cp, ord(low) - cp))
        elif len(low) > 1:
            assert cp == 0x130, "multi-character lower case other than U+0130: %x" % cp
    out = []  # [first, last, stride, delta]
    for cp, delta in pairs:
        r = out[-1] if out else None
        if r and r[3] == delta and (r[2] == 0 or cp - r[1] == r[2]) and cp - r[1] in (1, 2):
            r[2] = cp - r[1]
            r[1] = cp
        else:
            out.append([cp, cp, 0, delta])
    for r in out:
        r[2] = r[2] or 1
    for a, b in zip(out, out[1:]):
        assert a[1] < b[0], "interleaved lower-case runs: a binary search would miss one"
    return out


def casing_kinds():
    """1 = cased (and not case-ignorable), 2 = case-ignorable, read off str.lower()'s Final_Sigma."""
    kinds = [0] * MAX_CP
    for cp in range(MAX_CP):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        if (c + "\u03a3").lower()[-1] == "\u03c2":
            kinds[cp] = 1
        elif ("A" + c + "\u03a3").lower()[-1] == "\u03c2":
            kinds[cp] = 2
    return kinds


def decimal_zeros():
    zeros = []
    for cp in range(MAX_CP):
        c = chr(cp)
        if unicodedata.category(c) == "Nd" and unicodedata.decimal(c) == 0:
            for k in range(10):
                assert unicodedata.decimal(chr(cp + k), -1) == k
            zeros.append(cp)
    n_digits = sum(1 for cp in range(MAX_CP) if unicodedata.decimal(chr(cp), -1) >= 0)
    assert n_digits == 10 * len(zeros), "a Unicode decimal outside a run of ten"
    return zeros


def decompositions():
    out = []
    for cp in range(MAX_CP):
        if 0xAC00 <= cp <= 0xD7A3:
            continue  # Hangul syllables: algorithmic
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        assert 1 <= len(parts) <= 2
        first = parts[0]
        second = parts[1] if len(parts) == 2 else 0
        composes = int(len(parts) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp))
        out.append((cp, first, second, composes))
    return out


def emit(entries, per_line):
    lines = []
    for i in range(0, len(entries), per_line):
        lines.append("    " + " ".join(entries[i:i + per_line]))
    return "\n".join(lines)


def array(decl, name, count_name, entries, per_line):
    return "const %s %s[] = {\n%s\n};\nconst size_t %s = sizeof(%s) / sizeof(%s[0]);\n" % (
        decl, name, emit(entries, per_line), count_name, name, name)


HEADER = """// Generated by tools/gen_unicode_tables.py from Python unicodedata (Unicode {uv}). Do not edit.
#include "text/unicode_tables.h"

namespace ad::text::tables {{
"""


def gen_class():
    classes = [0] * MAX_CP
    spaces = [0] * MAX_CP
    for cp in range(MAX_CP):
        classes[cp] = char_class(cp)
        spaces[cp] = int(chr(cp).isspace())
    letter_case = [cp for cp in range(MAX_CP) if classes[cp] == LETTER_CASE]
    assert letter_case == [0x345], letter_case  # the one such character up to Unicode 15
    parts = [HEADER.format(uv=unicodedata.unidata_version),
             'const char* const kUnicodeVersion = "%s";\n' % unicodedata.unidata_version]
    parts.append(array("ClassRange", "kClassRanges", "kClassRangeCount",
                       ["{0x%X,0x%X,%d}," % tuple(r) for r in runs(classes)], 6))
    parts.append(array("SpaceRange", "kSpaceRanges", "kSpaceRangeCount",
                       ["{0x%X,0x%X}," % (r[0], r[1]) for r in runs(spaces)], 8))
    parts.append(array("uint32_t", "kDecimalZeros", "kDecimalZeroCount",
                       ["0x%X," % z for z in decimal_zeros()], 12))
    parts.append(array("LowerRun", "kLowerRuns", "kLowerRunCount",
                       ["{0x%X,0x%X,%d,%d}," % tuple(r) for r in lower_runs()], 5))
    parts.append(array("CasingRange", "kCasingRanges", "kCasingRangeCount",
                       ["{0x%X,0x%X,%d}," % tuple(r) for r in runs(casing_kinds())], 6))
    parts.append("\n}  // namespace ad::text::tables\n")
    return "\n".join(parts)


def gen_norm():
    ccc = [unicodedata.combining(chr(cp)) for cp in range(MAX_CP)]
    parts = [HEADER.format(uv=unicodedata.unidata_version)]
    parts.append(array("CombiningRange", "kCombiningRanges", "kCombiningRangeCount",
                       ["{0x%X,0x%X,%d}," % tuple(r) for r in runs(ccc)], 6))
    parts.append(array("Decomposition", "kDecompositions", "kDecompositionCount",
                       ["{0x%X,0x%X,0x%X,%d}," % d for d in decompositions()], 5))
    parts.append("\n}  // namespace ad::text::tables\n")
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    args = ap.parse_args()
    outputs = {OUT_CLASS: gen_class(), OUT_NORM: gen_norm()}
    stale = False
    for path, text in outputs.items():
        if args.check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print("out of date: %s" % path)
                    stale = True
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote %s (%d lines)" % (path, text.count("\n")))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
