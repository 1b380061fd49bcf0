/* regimen.c - the data model's memory: see regimen.h. */
#include "regimen.h"

void dose_destroy(gpointer data)
{
	DosedDose *dose = data;

	g_free(dose->site);
	g_free(dose->note);
	g_free(dose->logged_by);
	g_free(dose->voided_by);
	g_free(dose->void_reason);
	g_free(dose);
}

/* The regimens of a load share a handful of parsed protocol copies
 * (bench/NOTES.md).  Atomic: the daemon may free regimens in other
 * threads than it loaded them. */
static void shared_protocol_clear(gpointer data)
{
	protocol_destroy(*(DosedProtocol **)data);
}

DosedProtocol **regimen_share_protocol(DosedProtocol *protocol)
{
	DosedProtocol **box = g_atomic_rc_box_new0(DosedProtocol *);

	*box = protocol;
	return box;
}

void regimen_release_share(gpointer share)
{
	g_atomic_rc_box_release_full(share, shared_protocol_clear);
}

void regimen_destroy(DosedRegimen *regimen)
{
	if (!regimen)
		return;
	if (regimen->tz)
		g_time_zone_unref(regimen->tz);
	if (regimen->protocol_share)
		regimen_release_share(regimen->protocol_share);
	else
		protocol_destroy(regimen->protocol);
	if (regimen->doses)
		g_ptr_array_unref(regimen->doses);
	if (regimen->dose_events)
		g_array_unref(regimen->dose_events);
	if (regimen->advances)
		g_array_unref(regimen->advances);
	g_free(regimen);
}
