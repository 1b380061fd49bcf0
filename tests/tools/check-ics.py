#!/usr/bin/python3
"""check-ics.py [--name] FILE.ics - read a calendar with python-icalendar.

Run it with /usr/bin/python3: a `python3` found on PATH may be a pyenv shim
that cannot see Debian's python3-icalendar (TESTING-NOTES).  Without the
module it prints "SKIP: ..." and exits 77.

Fails (status 1, a message on stderr) when the file does not parse, when
python-icalendar reports a property it could not read, or when a VEVENT
lacks UID, DTSTAMP or DTSTART.  Otherwise prints one line per VEVENT, in
file order:

    UID|DTSTART|SUMMARY

DTSTART is written the same way by check-ics.js and check-ics-khal.sh, so
shell tests can compare the parsers' views: YYYYMMDD for a date,
YYYYMMDDTHHMMSSZ for a date-time with a zone or in UTC (converted to UTC),
YYYYMMDDTHHMMSS for a floating one.  In UID and SUMMARY a backslash is
doubled, a line feed written as backslash-n and a carriage return as
backslash-r, so that each event is one line.
"""
import datetime
import sys

try:
    import icalendar
except ImportError:
    print("SKIP: python-icalendar is not installed (Debian package python3-icalendar)")
    sys.exit(77)


def one_line(text):
    return str(text).replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def format_start(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.strftime("%Y%m%dT%H%M%S")
        return value.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    raise ValueError("DTSTART is neither a date nor a date-time: %r" % (value,))


def main(argv):
    name_only = argv[1:2] == ["--name"]
    if name_only:
        argv = argv[:1] + argv[2:]
    if len(argv) != 2:
        sys.stderr.write("usage: check-ics.py [--name] FILE.ics\n")
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
        calendar = icalendar.Calendar.from_ical(data)
    except (OSError, ValueError) as error:
        sys.stderr.write("check-ics.py: %s: does not parse: %s\n" % (argv[1], error))
        return 1
    if name_only:
        name = calendar.get("X-WR-CALNAME")
        if name is None:
            sys.stderr.write("check-ics.py: %s: no X-WR-CALNAME\n" % argv[1])
            return 1
        sys.stdout.buffer.write(str(name).encode("utf-8"))
        return 0

    problems = []
    # python-icalendar keeps going past a property it cannot read and
    # notes it in the component's .errors.
    for component in calendar.walk():
        for name, message in component.errors:
            problems.append("%s: %s: %s" % (component.name, name, message))
    lines = []
    for number, event in enumerate(calendar.walk("VEVENT"), 1):
        missing = [name for name in ("UID", "DTSTAMP", "DTSTART") if event.get(name) is None]
        if missing:
            problems.append("VEVENT %d (UID %s) lacks %s"
                            % (number, event.get("UID"), ", ".join(missing)))
            continue
        try:
            start = format_start(event.decoded("DTSTART"))
        except ValueError as error:
            problems.append("VEVENT %d: %s" % (number, error))
            continue
        lines.append("%s|%s|%s" % (one_line(event.get("UID")), start,
                                   one_line(event.get("SUMMARY", ""))))
    if problems:
        for problem in problems:
            sys.stderr.write("check-ics.py: %s: %s\n" % (argv[1], problem))
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
