#!/usr/bin/env node
// check-ics.js [--name] FILE.ics - read a calendar with ical.js, Mozilla's parser
// (the one Thunderbird uses).
//
// ical.js is an npm package, not a Debian one, and CI may not reach the npm
// registry, so nothing installs it for good and nothing from npm is kept in
// the tree.  A test that wants this check installs the pinned version into a
// temporary folder and points NODE_PATH at it:
//
//     dir=$(mktemp -d)
//     if npm install --prefix "$dir" --no-audit --no-fund --silent \
//             ical.js@2.2.1 >/dev/null 2>&1; then
//         NODE_PATH="$dir/node_modules" node tests/tools/check-ics.js FILE.ics
//     else
//         echo "SKIP: ical.js could not be installed from npm"
//     fi
//
// Written against ical.js 2.2.1, loaded with require() (its CommonJS
// build).  Without the module this prints "SKIP: ..." and exits 77, so a
// caller can tell a skipped check from a failed one.
//
// Fails (status 1, a message on stderr) when the file does not parse or a
// VEVENT lacks UID, DTSTAMP or DTSTART, or has one ical.js cannot read.
// Otherwise prints one line per VEVENT, in file order:
//
//     UID|DTSTART|SUMMARY
//
// with DTSTART as check-ics.py writes it: YYYYMMDD for a date,
// YYYYMMDDTHHMMSSZ for a date-time in UTC or with a TZID (converted to UTC
// with the file's own VTIMEZONE), YYYYMMDDTHHMMSS for a floating one.  In
// UID and SUMMARY a backslash is doubled, a line feed written as backslash-n
// and a carriage return as backslash-r.
//
// With --name it prints the calendar's X-WR-CALNAME instead, as ical.js
// reads it, with no newline added.  ical.js does not know the property: it
// unescapes its TEXT only under VALUE=TEXT.
'use strict';

const fs = require('fs');

let ICAL;
try {
	ICAL = require('ical.js');
} catch (error) {
	console.log('SKIP: ical.js is not installed (npm install --prefix DIR ical.js@2.2.1, ' +
		    'then NODE_PATH=DIR/node_modules)');
	process.exit(77);
}

function oneLine(text) {
	return String(text).replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function pad(number, width) {
	return String(number).padStart(width, '0');
}

function formatStart(time) {
	const date = pad(time.year, 4) + pad(time.month, 2) + pad(time.day, 2);
	if (time.isDate)
		return date;
	const zone = time.zone ? time.zone.tzid : 'floating';
	if (zone === 'floating')
		return date + 'T' + pad(time.hour, 2) + pad(time.minute, 2) + pad(time.second, 2);
	const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
	return pad(utc.year, 4) + pad(utc.month, 2) + pad(utc.day, 2) + 'T' +
		pad(utc.hour, 2) + pad(utc.minute, 2) + pad(utc.second, 2) + 'Z';
}

function main(argv) {
	const nameOnly = argv[0] === '--name';
	if (nameOnly)
		argv = argv.slice(1);
	if (argv.length !== 1) {
		process.stderr.write('usage: check-ics.js [--name] FILE.ics\n');
		return 2;
	}
	const file = argv[0];
	let calendar;
	try {
		calendar = new ICAL.Component(ICAL.parse(fs.readFileSync(file, 'utf8')));
	} catch (error) {
		process.stderr.write(`check-ics.js: ${file}: does not parse: ${error.message}\n`);
		return 1;
	}
	if (calendar.name !== 'vcalendar') {
		process.stderr.write(`check-ics.js: ${file}: the top component is ${calendar.name}\n`);
		return 1;
	}
	if (nameOnly) {
		const name = calendar.getFirstPropertyValue('x-wr-calname');
		if (name === null) {
			process.stderr.write(`check-ics.js: ${file}: no X-WR-CALNAME\n`);
			return 1;
		}
		process.stdout.write(String(name));
		return 0;
	}
	// A TZID names a VTIMEZONE of the file: ical.js looks zones up in
	// its TimezoneService, so register the file's own first.
	for (const vtimezone of calendar.getAllSubcomponents('vtimezone'))
		ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));

	const problems = [];
	const lines = [];
	calendar.getAllSubcomponents('vevent').forEach((event, index) => {
		const uid = event.getFirstPropertyValue('uid');
		const missing = ['uid', 'dtstamp', 'dtstart']
			.filter((name) => !event.hasProperty(name))
			.map((name) => name.toUpperCase());
		if (missing.length > 0) {
			problems.push(`VEVENT ${index + 1} (UID ${uid}) lacks ${missing.join(', ')}`);
			return;
		}
		try {
			const stamp = event.getFirstPropertyValue('dtstamp');
			if (!(stamp instanceof ICAL.Time))
				throw new Error(`DTSTAMP is not a date-time: ${stamp}`);
			const start = new ICAL.Event(event).startDate;
			lines.push(`${oneLine(uid)}|${formatStart(start)}|` +
				   oneLine(event.getFirstPropertyValue('summary') || ''));
		} catch (error) {
			problems.push(`VEVENT ${index + 1} (UID ${uid}): ${error.message}`);
		}
	});
	if (problems.length > 0) {
		for (const problem of problems)
			process.stderr.write(`check-ics.js: ${file}: ${problem}\n`);
		return 1;
	}
	for (const line of lines)
		console.log(line);
	return 0;
}

process.exitCode = main(process.argv.slice(2));
