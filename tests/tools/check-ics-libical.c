/* check-ics-libical FILE.ics - libical's own check of a calendar: it
 * parses the file and runs icalrestriction_check(), which checks which
 * properties each component must have, may have once, or must not have
 * (RFC 5545, and iTIP's rules under a METHOD: METHOD:PUBLISH without an
 * ORGANIZER in every VEVENT fails it).
 *
 * Exit status 0 with "ok: N components" on stdout; 1 with one line per
 * X-LIC-ERROR libical put into the calendar (parse errors included) on
 * stderr; 2 for usage.  Built by `make tests` into BUILDDIR/tests/tools/.
 */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <libical/ical.h>

/* Reports the X-LIC-ERRORs of a component and its children; returns how
 * many components there are. */
static int report(icalcomponent *component, const char *file, int *errors)
{
	icalproperty *property;
	icalcomponent *child;
	int components = 1;

	for (property = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY);
	     property != NULL;
	     property = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
		fprintf(stderr, "check-ics-libical: %s: %s: %s\n", file,
			icalcomponent_kind_to_string(icalcomponent_isa(component)),
			icalproperty_get_xlicerror(property));
		(*errors)++;
	}
	for (child = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT);
	     child != NULL; child = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
		components += report(child, file, errors);
	return components;
}

int main(int argc, char **argv)
{
	GError *error = NULL;
	icalcomponent *calendar;
	char *text;
	int errors = 0, components, valid;

	if (argc != 2) {
		fprintf(stderr, "usage: check-ics-libical FILE.ics\n");
		return 2;
	}
	if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
		fprintf(stderr, "check-ics-libical: %s\n", error->message);
		g_error_free(error);
		return 1;
	}
	calendar = icalparser_parse_string(text);
	g_free(text);
	if (calendar == NULL || icalcomponent_isa(calendar) != ICAL_VCALENDAR_COMPONENT) {
		fprintf(stderr, "check-ics-libical: %s: libical does not read one VCALENDAR\n",
			argv[1]);
		if (calendar != NULL)
			icalcomponent_free(calendar);
		return 1;
	}
	valid = icalrestriction_check(calendar);
	components = report(calendar, argv[1], &errors);
	icalcomponent_free(calendar);
	if (!valid || errors > 0) {
		if (errors == 0)
			fprintf(stderr, "check-ics-libical: %s: icalrestriction_check failed\n",
				argv[1]);
		return 1;
	}
	printf("ok: %d components\n", components);
	return 0;
}
