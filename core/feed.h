/* feed.h - iCalendar subscription feeds (SPEC section 4, Feeds), written
 * with libical: libical folds, escapes and frames the text.
 *
 * Rendering is a pure function of (regimens, options, now, event states).
 * An unchanged feed must be byte-identical (its ETag stable), so DTSTAMP,
 * LAST-MODIFIED and SEQUENCE do not come from the request: each event's
 * state remembers a fingerprint of everything the event shows, its
 * SEQUENCE and when it last changed.  A render compares each event with its
 * state; a changed or new event gets (sequence + 1 | 0, changed_at = now)
 * and is marked dirty, for the caller to persist (store_save_feed_states).
 */
#ifndef DOSED_FEED_H
#define DOSED_FEED_H

#include <stdbool.h>
#include <glib.h>

#include "config.h"
#include "feed_state.h"
#include "regimen.h"

typedef struct {
	int horizon_months;     /* projected doses this far ahead */
	int history_months;     /* logged doses this far back */
	int clinic_days;        /* the clinic feed: doses due this many days ahead, and overdue */
	bool alarms;            /* VALARMs in projected events */
	int reminder_at;        /* seconds after local midnight of the due date */
	gint64 reminder_before_ms; /* lead reminder; 0 = none */
	gint64 reminder_overdue_every_ms; /* while overdue, again after this; 0 = no alarm */
	int refresh_minutes;    /* REFRESH-INTERVAL and X-PUBLISHED-TTL */
	char *const *sites;     /* [rotation] sites, for the suggested site */
} DosedFeedOptions;

/* The options a configuration sets (SPEC 6 [feed] and [reminders]).  The
 * strings point into `config`, which must outlive the options. */
void feed_options_from_config(DosedFeedOptions *options, const DosedConfig *config);

/* The UID of a dose's event: the same for the projected dose and the dose
 * later logged for it (SPEC 2.7).  Newly allocated. */
char *feed_event_uid(const DosedRegimen *regimen, int ordinal);
/* The UID of the same dose's event in the clinic feed, which says other
 * things (the patient's name, no alarms) and changes at other times: a
 * UID of its own (SPEC 4), as stable.  Newly allocated. */
char *feed_clinic_event_uid(const DosedRegimen *regimen, int ordinal);

/* One patient's calendar.  `states` is read and updated (see above); its
 * keys are "p:" + UID for the events and "p:" + patient id for the feed as
 * a whole, whose changed_at moves whenever anything in the feed changes,
 * events removed included: that is *last_modified (Last-Modified).
 * Returns the iCalendar text (CRLF line ends), newly allocated; NULL with
 * an error only when libical fails. */
char *feed_render_patient(const DosedRegimen *regimen, const DosedFeedOptions *options,
			  gint64 now, GHashTable *states, gint64 *last_modified,
			  GError **error);
/* The clinic's calendar: every active regimen's next dose when it is due
 * within options->clinic_days or overdue, one event each, on its due date
 * or on the patient's today when that is later (a dose due and not yet
 * given is never left on a past day).  Keys "c:" + UID (the clinic UID)
 * and "c:" for the feed as a whole. */
char *feed_render_clinic(GPtrArray *regimens, const DosedFeedOptions *options, gint64 now,
			 GHashTable *states, gint64 *last_modified, GError **error);

/* The same calendar, a regimen at a time (store_foreach_regimen()), so
 * that a clinic's regimens need not be held together: begin, add each in
 * patient id order, finish (which frees the render, and returns what
 * feed_render_clinic() would).  `options` and `states` must outlive it. */
typedef struct FeedClinicRender FeedClinicRender;
FeedClinicRender *feed_clinic_begin(const DosedFeedOptions *options, gint64 now,
				    GHashTable *states);
void feed_clinic_add(FeedClinicRender *clinic, const DosedRegimen *regimen);
char *feed_clinic_finish(FeedClinicRender *clinic, gint64 *last_modified, GError **error);
/* Free a render left unfinished (the regimens could not all be read).
 * The feed's own state ("c:") is left as it was; the events added so far
 * have their states updated, as their content is real. */
void feed_clinic_abandon(FeedClinicRender *clinic);

#endif
