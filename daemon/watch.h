/* watch.h - notice that another program wrote the database (SPEC 4,
 * Changes: dosectl's changes reach the feeds within one second), with no
 * timer: the daemon sleeps until the kernel says a file changed.
 *
 * inotify watches the database's folder for the database file and its -wal
 * file, as a GLib source on the main loop.  The watch only says "the files
 * were written"; whether anything was committed is for the caller to ask
 * SQLite (store_data_version()).
 */
#ifndef DOSED_WATCH_H
#define DOSED_WATCH_H

#include <glib.h>

typedef struct Watch Watch;

/* Called on the main loop, once per batch of file events. */
typedef void (*WatchFunc)(void *data);

/* Watch the database at db_path (its folder must exist) on the default
 * main context.  NULL with an error (G_IO_ERROR, from errno) when inotify
 * cannot be set up.  Free with watch_destroy(). */
Watch *watch_create(const char *db_path, WatchFunc changed, void *data, GError **error);
void watch_destroy(Watch *watch); /* NULL is a no-op */

#endif
