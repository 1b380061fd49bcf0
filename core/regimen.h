/* regimen.h - the data model: a patient's regimen with the doses logged
 * and the advances made, as the store loads it and the engine, the feeds
 * and the edges read it.
 *
 * A regimen is read only once loaded.  Its strings, arrays and protocol
 * belong to it and are freed with it (regimen_destroy()); regimens and
 * what they point to may be used and freed in any thread.
 */
#ifndef DOSED_REGIMEN_H
#define DOSED_REGIMEN_H

#include <stdbool.h>
#include <glib.h>

#include "protocol.h"
#include "schedule.h"
#include "timeutil.h"

/* A logged dose, void or not. */
typedef struct {
	gint64 id;              /* DOSE_ID of dosectl void */
	int ordinal;
	int phase_index;        /* the phase it was logged in */
	gint64 given_at;        /* UTC seconds */
	char *site;             /* NULL when not recorded */
	char *note;             /* NULL when none */
	bool forced;            /* logged with --force */
	gint64 logged_at;
	char *logged_by;
	gint64 voided_at;       /* 0 when not void */
	char *voided_by;
	char *void_reason;
} DosedDose;

/* A patient with their current (newest) regimen, ready for the engine. */
typedef struct {
	char *patient_id;
	char *name;
	char *tz_name;          /* IANA name */
	GTimeZone *tz;
	gint64 regimen_id;
	char *protocol_id;
	/* The copy stored at enrolment.  Read only: regimens loaded together
	 * with the same stored copy share one parse; it lives as long as the
	 * regimen does. */
	DosedProtocol *protocol;
	DosedDate start;
	gint64 enrolled_at;
	char *enrolled_by;
	gint64 stopped_at;      /* 0 while active */
	char *stopped_by;
	/* Read only, like the arrays below: empty ones are shared between the
	 * regimens of a load. */
	GPtrArray *doses;       /* DosedDose *, every dose, void too, by given_at then id */
	GArray *dose_events;    /* DosedDoseEvent: the non-void doses, for the engine */
	GArray *advances;       /* DosedAdvanceEvent, in the order recorded */
	DosedRegimenView view;  /* points into the fields above */
	/* When `protocol` is shared: the g_atomic_rc_box (regimen_share_protocol())
	 * holding it, of which this regimen holds one reference; NULL when
	 * the regimen owns `protocol` alone. */
	void *protocol_share;
	/* The strings above follow the struct in its one allocation. */
} DosedRegimen;

void regimen_destroy(DosedRegimen *regimen); /* NULL is a no-op */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DosedRegimen, regimen_destroy)
/* Free a DosedDose (the free function of DosedRegimen.doses). */
void dose_destroy(gpointer dose);

/* A protocol to be shared by the regimens of a load: an atomic
 * reference-counted box holding `protocol` (taken), which frees it with
 * its last reference.  The caller holds one; each regimen sharing it
 * takes one of its own (g_atomic_rc_box_acquire()) as protocol_share.
 * regimen_release_share() lets a reference go. */
DosedProtocol **regimen_share_protocol(DosedProtocol *protocol);
void regimen_release_share(gpointer share);

#endif
