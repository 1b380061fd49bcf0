#!/usr/bin/python3
"""check-ics-framing.py FILE.ics - the raw framing of RFC 5545 section 3.1.

Calendar parsers forgive what this checks (TESTING-NOTES: python-icalendar,
ical.js and khal all take LF line ends and over-long lines, and a fold that
splits a UTF-8 character becomes U+FFFD in all three, so they still agree):

- every line ends with CRLF, and there is no other CR or LF;
- no line is longer than 75 octets (without its CRLF);
- every physical line is valid UTF-8 by itself (a fold inside a multi-byte
  character would leave a torn sequence at a line's end or start), and so is
  the unfolded text;
- BEGIN/END are balanced and properly nested, with one VCALENDAR at the top.

Exit status 0 with "ok: N lines, M folds" on stdout; 1 with one line per
problem on stderr (at most 20).  Only the Python standard library is used.
"""
import sys

MAX_OCTETS = 75


def check(data):
    problems = []
    if not data:
        return ["the file is empty"], 0, 0
    if not data.endswith(b"\r\n"):
        problems.append("the last line does not end with CRLF")
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    unfolded = []
    folds = 0
    for number, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            problems.append("line %d: a bare LF or CR (lines must end with CRLF)" % number)
        if len(line) > MAX_OCTETS:
            problems.append("line %d: %d octets, more than %d" % (number, len(line), MAX_OCTETS))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append("line %d: not UTF-8 by itself (a fold split a character?): %s"
                            % (number, error))
        if line[:1] in (b" ", b"\t"):
            if not unfolded:
                problems.append("line %d: a continuation line with nothing to continue" % number)
                continue
            folds += 1
            unfolded[-1] = (unfolded[-1][0], unfolded[-1][1] + line[1:])
        else:
            unfolded.append((number, line))

    stack = []
    tops = 0
    for number, raw in unfolded:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append("line %d: the unfolded content line is not UTF-8: %s" % (number, error))
            continue
        if text == "":
            problems.append("line %d: an empty line" % number)
            continue
        name, _, value = text.partition(":")
        name = name.split(";", 1)[0].upper()
        if name == "BEGIN":
            if not stack:
                tops += 1
                if value.upper() != "VCALENDAR":
                    problems.append("line %d: BEGIN:%s outside a VCALENDAR" % (number, value))
            stack.append(value.upper())
        elif name == "END":
            if not stack:
                problems.append("line %d: END:%s without a BEGIN" % (number, value))
            elif stack[-1] != value.upper():
                problems.append("line %d: END:%s closes BEGIN:%s" % (number, value, stack[-1]))
                stack.pop()
            else:
                stack.pop()
        elif not stack:
            problems.append("line %d: a property outside any component" % number)
    if stack:
        problems.append("BEGIN:%s is never closed" % stack[-1])
    if tops != 1:
        problems.append("%d VCALENDAR objects at the top, expected 1" % tops)
    return problems, len(lines), folds


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: check-ics-framing.py FILE.ics\n")
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
    except OSError as error:
        sys.stderr.write("check-ics-framing: %s\n" % error)
        return 1
    problems, n_lines, folds = check(data)
    if problems:
        for problem in problems[:20]:
            sys.stderr.write("check-ics-framing: %s: %s\n" % (argv[1], problem))
        if len(problems) > 20:
            sys.stderr.write("check-ics-framing: %s: ... %d more\n"
                             % (argv[1], len(problems) - 20))
        return 1
    print("ok: %d lines, %d folds" % (n_lines, folds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
