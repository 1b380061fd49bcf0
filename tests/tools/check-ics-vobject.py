#!/usr/bin/python3
"""check-ics-vobject.py [--name] FILE.ics - read a calendar with vobject
(Debian package python3-vobject), the parser Radicale is built on.

Run it with /usr/bin/python3: a `python3` found on PATH may be another
Python that cannot see Debian's modules.  Without the module it prints
"SKIP: ..." and exits 77.

Fails (status 1, a message on stderr) when the file does not parse, holds
more than one calendar, or a VEVENT lacks UID, DTSTAMP or DTSTART.
Otherwise prints one line per VEVENT, in file order, "UID|DTSTART|SUMMARY",
written as check-ics.py writes it, so that the parsers' lists can be
compared.  With --name it prints the calendar's X-WR-CALNAME instead, as
vobject reads it, in UTF-8 with no newline added (vobject read "Siobhan
O'Brien, Jr.; ..." as "Siobhan O'Brien" while the comma was not escaped).
"""
import datetime
import sys

try:
    import vobject
except ImportError:
    print("SKIP: vobject is not installed (Debian package python3-vobject)")
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
    args = argv[1:]
    name_only = args[:1] == ["--name"]
    if name_only:
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("usage: check-ics-vobject.py [--name] FILE.ics\n")
        return 2
    path = args[0]
    try:
        with open(path, encoding="utf-8") as f:
            data = f.read()
        calendars = list(vobject.readComponents(data))
    except Exception as error:  # vobject raises several kinds
        sys.stderr.write("check-ics-vobject.py: %s: does not parse: %s\n" % (path, error))
        return 1
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        sys.stderr.write("check-ics-vobject.py: %s: %d top components, expected one VCALENDAR\n"
                         % (path, len(calendars)))
        return 1
    calendar = calendars[0]

    if name_only:
        names = calendar.contents.get("x-wr-calname", [])
        if len(names) != 1:
            sys.stderr.write("check-ics-vobject.py: %s: %d X-WR-CALNAME, expected 1\n"
                             % (path, len(names)))
            return 1
        sys.stdout.buffer.write(str(names[0].value).encode("utf-8"))
        return 0

    problems = []
    lines = []
    for number, event in enumerate(calendar.contents.get("vevent", []), 1):
        missing = [name for name in ("uid", "dtstamp", "dtstart") if name not in event.contents]
        if missing:
            problems.append("VEVENT %d lacks %s" % (number, ", ".join(m.upper() for m in missing)))
            continue
        try:
            start = format_start(event.dtstart.value)
        except Exception as error:
            problems.append("VEVENT %d: %s" % (number, error))
            continue
        summary = event.summary.value if "summary" in event.contents else ""
        lines.append("%s|%s|%s" % (one_line(event.uid.value), start, one_line(summary)))
    if problems:
        for problem in problems:
            sys.stderr.write("check-ics-vobject.py: %s: %s\n" % (path, problem))
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
