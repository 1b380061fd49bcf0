/* alarm.h - one wall-clock alarm on the main loop (SPEC 4, Reminders: the
 * daemon "sleeps until the next reminder, wakes within one second of it,
 * survives clock changes and suspend").
 *
 * GLib's timeouts count on the monotonic clock, which stops while the
 * machine is suspended and does not follow a change of the clock; a
 * reminder is owed at a wall-clock instant.  So the alarm is a timerfd on
 * CLOCK_REALTIME, armed for an absolute instant (TFD_TIMER_ABSTIME) and
 * with TFD_TIMER_CANCEL_ON_SET, so that a change of the clock (date -s, an
 * NTP step, a resume that moves the clock) wakes it too and the caller
 * computes the next moment again.  One alarm, re-armed after every change
 * (dunst's run()); disarmed, it makes no wake-ups at all.
 */
#ifndef DOSED_ALARM_H
#define DOSED_ALARM_H

#include <glib.h>

typedef struct Alarm Alarm;

typedef enum {
	ALARM_FIRED,         /* the instant it was armed for has come */
	ALARM_CLOCK_CHANGED, /* the clock was set while armed: compute again */
} AlarmReason;

/* Called on the main loop.  After ALARM_FIRED the alarm is disarmed; after
 * ALARM_CLOCK_CHANGED it is still armed for the same instant (which may now
 * be far off, or past: then it fires at once). */
typedef void (*AlarmFunc)(AlarmReason reason, void *data);

/* A disarmed alarm on the default main context.  NULL with an error
 * (G_IO_ERROR, from errno) when no timerfd can be made.  Free with
 * alarm_destroy(). */
Alarm *alarm_create(AlarmFunc func, void *data, GError **error);
void alarm_destroy(Alarm *alarm); /* NULL is a no-op */

/* Fire at `at` (UTC seconds), replacing any earlier arming; an instant
 * already past fires at once. */
void alarm_arm(Alarm *alarm, gint64 at);
void alarm_disarm(Alarm *alarm);
/* The instant it is armed for, or 0 when disarmed. */
gint64 alarm_deadline(const Alarm *alarm);

#endif
