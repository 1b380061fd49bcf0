/* watch.c - inotify on the database's folder (see watch.h). */
#include "watch.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "log.h"

struct Watch {
	int fd;
	guint source;
	char *db_name;          /* "dosed.db" */
	char *wal_name;         /* "dosed.db-wal" */
	WatchFunc changed;
	void *data;
};

/* The folder, not the files: the -wal file comes and goes (SQLite removes
 * it when the last connection closes, and a checkpoint may restart it), and
 * a watch on a file would not see it created again.
 *
 * IN_MODIFY comes with each write, but a commit becomes visible to other
 * connections only when the writer updates the WAL index (-shm, written
 * through a shared mapping, which inotify does not report) just after its
 * last write to -wal; so a check on IN_MODIFY alone may come too early.
 * IN_CLOSE_WRITE comes when the writer closes the files, after its commit:
 * dosectl is a short-lived process, so each of its changes ends with one.
 * IN_CREATE and IN_MOVED_TO cover a -wal file made anew and a database
 * replaced by renaming (a restore from a backup). */
#define WATCH_EVENTS (IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO)

static bool watch_is_ours(const Watch *watch, const struct inotify_event *event)
{
	if (event->mask & IN_Q_OVERFLOW)
		return true; /* events were lost: one of them may have been ours */
	if (event->len == 0)
		return false;
	return strcmp(event->name, watch->db_name) == 0 ||
	       strcmp(event->name, watch->wal_name) == 0;
}

static gboolean watch_ready(int fd, GIOCondition condition, gpointer user_data)
{
	Watch *watch = user_data;
	/* Aligned as inotify(7) shows: the events are read in place. */
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;

	/* Read everything queued, then tell the caller once: a transaction
	 * writes many pages, and one check covers them all. */
	for (;;) {
		ssize_t length = read(fd, buffer, sizeof buffer);

		if (length < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("cannot read the database folder's change events");
			break;
		}
		for (char *p = buffer; p < buffer + length;) {
			const struct inotify_event *event = (const struct inotify_event *)p;

			if (event->mask & IN_IGNORED)
				log_warnx("the database's folder is gone: changes made by dosectl "
					  "will not reach the feeds until dosed is restarted");
			ours = ours || watch_is_ours(watch, event);
			p += sizeof *event + event->len;
		}
	}
	if (ours)
		watch->changed(watch->data);
	return G_SOURCE_CONTINUE;
}

Watch *watch_create(const char *db_path, WatchFunc changed, void *data, GError **error)
{
	Watch *watch = g_new0(Watch, 1);
	char *dir = g_path_get_dirname(db_path);
	int saved;

	watch->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch->fd < 0 || inotify_add_watch(watch->fd, dir, WATCH_EVENTS) < 0) {
		saved = errno;
		/* EMFILE and ENOSPC are inotify's own limits, not the folder's. */
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
			    "cannot watch the database's folder %s for changes (inotify: %s); %s",
			    dir, g_strerror(saved),
			    saved == EMFILE || saved == ENOSPC ?
			    "raise fs.inotify.max_user_instances or max_user_watches" :
			    "check that the folder exists and is readable");
		if (watch->fd >= 0)
			close(watch->fd);
		g_free(watch);
		g_free(dir);
		return NULL;
	}
	g_free(dir);
	watch->db_name = g_path_get_basename(db_path);
	watch->wal_name = g_strconcat(watch->db_name, "-wal", NULL);
	watch->changed = changed;
	watch->data = data;
	watch->source = g_unix_fd_add(watch->fd, G_IO_IN, watch_ready, watch);
	return watch;
}

void watch_destroy(Watch *watch)
{
	if (!watch)
		return;
	g_source_remove(watch->source);
	close(watch->fd);
	g_free(watch->db_name);
	g_free(watch->wal_name);
	g_free(watch);
}
