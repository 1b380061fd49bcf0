#!/usr/bin/awk -f
# gen-patients.awk - a clinic's spreadsheet for dosectl import (issue 7):
#   awk -v n=100000 -v today=YYYY-MM-DD -f bench/gen-patients.awk >patients.csv
# Columns id,name,protocol,start,tz,days, with a header line.  Realistic
# rather than uniform: most patients on the common protocols (the b12-*
# catalogue of conf/protocols.ini), zones of several continents, start dates
# spread over the last two years (most in maintenance, some still loading)
# and a few in the coming month, and some loading on other weekdays than the
# protocol's (days).  The same n and today give the same file (fixed seed).

# Days since 1970-01-01 of a civil date, and back (the proleptic Gregorian
# calendar; Howard Hinnant's algorithms): awk has no date functions to
# count on (mawk's strftime is an extension).
function days_from_civil(y, m, d,    era, yoe, doy, doe) {
	y -= m <= 2
	era = int((y >= 0 ? y : y - 399) / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
function civil_from_days(z,    era, doe, yoe, y, doy, mp, d, m) {
	z += 719468
	era = int((z >= 0 ? z : z - 146096) / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp + (mp < 10 ? 3 : -9)
	return sprintf("%04d-%02d-%02d", y + (m <= 2), m, d)
}
function pick(list, count) {
	return list[int(rand() * count) + 1]
}
BEGIN {
	if (n == "" || today !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) {
		print "usage: awk -v n=COUNT -v today=YYYY-MM-DD -f gen-patients.awk" >"/dev/stderr"
		exit 2
	}
	srand(20240607)
	split(today, t, "-")
	base = days_from_civil(t[1] + 0, t[2] + 0, t[3] + 0)
	nz = split("Europe/London Europe/London Europe/Dublin Europe/Berlin Europe/Madrid " \
		   "America/New_York America/Chicago America/Los_Angeles America/Toronto " \
		   "America/Sao_Paulo Asia/Kolkata Asia/Tokyo Australia/Sydney " \
		   "Pacific/Auckland Africa/Johannesburg", zones, " ")
	nf = split("Ada Bea Cai Dev Eli Fay Gus Hana Ivo Jun Kit Lea Mo Nia Oz Pia Raj Sol Tam Uma",
		   first, " ")
	nl = split("Abara Brennan Costa Dubois Eriksen Fofana Garcia Horvat Ito Jensen Kowalski " \
		   "Lindqvist Moreau Nakamura Okafor Petrov Quinn Rossi Singh Tanaka", last, " ")
	print "id,name,protocol,start,tz,days"
	for (i = 1; i <= n; i++) {
		r = rand()
		# Most pernicious anaemia patients are on the standard plan.
		if (r < 0.45)      protocol = "b12-standard"
		else if (r < 0.65) protocol = "b12-neuro"
		else if (r < 0.80) protocol = "b12-cyano-label"
		else if (r < 0.90) protocol = "b12-bariatric"
		else               protocol = "b12-ileal-resection"
		# Two years back to a month ahead; recent starts are rarer.
		if (rand() < 0.03)
			start = civil_from_days(base + 1 + int(rand() * 30))
		else
			start = civil_from_days(base - int(rand() * rand() * 730))
		days = ""
		if (protocol == "b12-standard" && rand() < 0.2)
			days = "\"tue,thu,sat\""
		printf "MRN%07d,%s %s,%s,%s,%s,%s\n", i, pick(first, nf), pick(last, nl),
		       protocol, start, pick(zones, nz), days
	}
}
