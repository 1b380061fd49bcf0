/* alarm.c - a timerfd on CLOCK_REALTIME as a GLib source (see alarm.h). */
#include "alarm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "log.h"

struct Alarm {
	int fd;
	guint source;
	gint64 deadline;        /* UTC seconds; 0 when disarmed */
	AlarmFunc func;
	void *data;
};

static gboolean alarm_ready(int fd, GIOCondition condition, gpointer user_data)
{
	Alarm *alarm = user_data;
	uint64_t expirations;
	ssize_t length;

	do
		length = read(fd, &expirations, sizeof expirations);
	while (length < 0 && errno == EINTR);

	if (length == (ssize_t)sizeof expirations) {
		alarm->deadline = 0; /* one-shot: the kernel disarmed it */
		alarm->func(ALARM_FIRED, alarm->data);
	} else if (length < 0 && errno == ECANCELED) {
		/* timerfd_create(2): the clock was set while armed with
		 * TFD_TIMER_CANCEL_ON_SET.  The timer stays armed for the same
		 * absolute instant; the caller decides whether it still holds. */
		alarm->func(ALARM_CLOCK_CHANGED, alarm->data);
	} else if (length < 0 && errno != EAGAIN) {
		log_warn("cannot read the reminder timer");
	}
	/* EAGAIN: re-armed between the poll and this read (timerfd_settime()
	 * clears what had expired), so nothing is due. */
	return G_SOURCE_CONTINUE;
}

Alarm *alarm_create(AlarmFunc func, void *data, GError **error)
{
	Alarm *alarm;
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0) {
		int saved = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
			    "cannot make the reminder timer (timerfd_create: %s); "
			    "raise the limit on open files", g_strerror(saved));
		return NULL;
	}
	alarm = g_new0(Alarm, 1);
	alarm->fd = fd;
	alarm->func = func;
	alarm->data = data;
	alarm->source = g_unix_fd_add(fd, G_IO_IN, alarm_ready, alarm);
	return alarm;
}

void alarm_destroy(Alarm *alarm)
{
	if (!alarm)
		return;
	g_source_remove(alarm->source);
	close(alarm->fd);
	g_free(alarm);
}

/* timerfd_settime() with the given value; an it_value of zero disarms. */
static void alarm_set(Alarm *alarm, const struct itimerspec *value)
{
	/* The flags matter only when arming; with a zero value they are
	 * harmless.  ECANCELED means the clock was set since the last arming
	 * and nobody read the fd: the timer *is* armed with the new value
	 * (timerfd_create(2), NOTES), so it is no failure. */
	if (timerfd_settime(alarm->fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, value,
			    NULL) < 0 && errno != ECANCELED)
		log_warn("cannot set the reminder timer");
}

void alarm_arm(Alarm *alarm, gint64 at)
{
	struct itimerspec value = { 0 };

	/* An it_value of zero would disarm: an instant at or before the
	 * epoch is simply past, so one nanosecond after it fires at once. */
	if (at > 0)
		value.it_value.tv_sec = (time_t)at;
	else
		value.it_value.tv_nsec = 1;
	alarm_set(alarm, &value);
	alarm->deadline = at > 0 ? at : 1;
}

void alarm_disarm(Alarm *alarm)
{
	struct itimerspec value = { 0 };

	alarm_set(alarm, &value);
	alarm->deadline = 0;
}

gint64 alarm_deadline(const Alarm *alarm)
{
	return alarm->deadline;
}
