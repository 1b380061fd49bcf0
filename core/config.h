/* config.h - dosed.conf (SPEC section 6), read with inih.
 *
 * Every setting has a default, so no file is needed.  Unknown sections or
 * keys and bad values are DOSED_ERROR_PARSE "FILE:LINE: [section] key: ...".
 * One table in config.c maps each key to its parser and default;
 * config_locate.c finds the file, config_url.c derives the feed's URL.
 */
#ifndef DOSED_CONFIG_H
#define DOSED_CONFIG_H

#include <stdbool.h>
#include <glib.h>

typedef struct {
	char *path;                  /* the file read, or NULL for defaults only */
	bool system;                 /* clinic/system mode: /etc/dosed, /var/lib/dosed */

	/* [store] */
	char *store_path;            /* "~/" expanded */
	int busy_timeout_ms;         /* busy_timeout = 5 s */

	/* [feed] */
	char *feed_listen;           /* "127.0.0.1:8645" */
	/* What dosectl feed prints.  Default: the listen address as a URL
	 * (config_listen_url()), "http://127.0.0.1:8645"; NULL when listen
	 * takes every address (0.0.0.0, [::]) and base_url is not set, since
	 * then no default can name the one clients reach. */
	char *feed_base_url;
	int feed_horizon_months;     /* 12 */
	int feed_history_months;     /* 12 */
	bool feed_alarms;            /* alarms = true: VALARMs in feeds */
	int feed_clinic_days;        /* clinic_days = 7: the clinic feed's days ahead */

	/* [reminders] */
	bool reminders_enabled;      /* true; false in clinic (system) mode */
	int reminders_at;            /* seconds after local midnight; 09:00 */
	gint64 reminders_before_ms;  /* 1 day; 0 = no lead reminder */
	gint64 reminders_overdue_every_ms; /* 1 day */
	gint64 reminders_snooze_ms;  /* 1 hour */

	/* [rotation] */
	char **sites;                /* NULL-terminated; may be empty */

	/* [protocols] */
	char **protocol_paths;       /* NULL-terminated */
} DosedConfig;

/* Which file to read: `explicit_path` when given; else
 * $XDG_CONFIG_HOME/dosed/dosed.conf if it exists; else, for clinic staff
 * (root, or a member of group dosed), /etc/dosed/dosed.conf if it exists
 * (system mode); else none (personal defaults).  A patient on a desktop
 * where dosed was installed (which puts /etc/dosed/dosed.conf there) is not
 * staff, and keeps their own database.  *path is NULL for none; *system
 * tells which defaults apply. */
void config_locate(const char *explicit_path, char **path, bool *system);
/* config_locate() with the system file and the caller's standing named:
 * config_locate() is this with DOSED_SYSCONFDIR "/dosed/dosed.conf" and
 * config_clinic_staff() (tests use a temporary file).  An explicit path that
 * names system_file gets system defaults.  *path is newly allocated (or
 * NULL). */
void config_locate_in(const char *explicit_path, const char *system_file, bool staff,
		      char **path, bool *system);
/* $XDG_CONFIG_HOME/dosed/dosed.conf (~/.config/...), whether or not it
 * exists: the file a patient's settings go in.  Newly allocated. */
char *config_personal_file(void);
/* Whether this process is clinic staff: root, or group dosed among its
 * groups. */
bool config_clinic_staff(void);

/* The mode of a database file dosed creates (SPEC 5): 0660 in clinic
 * (system) mode, shared with the staff in group dosed; else 0600, the
 * patient's alone. */
int config_store_mode(const DosedConfig *config);

/* Defaults for personal (system = false) or clinic use. */
DosedConfig *config_create_defaults(bool system);
/* Read `path` over the defaults (path NULL: defaults only).  Store and
 * protocol paths given relative are relative to the file's directory. */
DosedConfig *config_load(const char *path, bool system, GError **error);
void config_destroy(DosedConfig *config); /* NULL is a no-op */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DosedConfig, config_destroy)

/* The URL of a listen value config_load() accepted: "http://HOST:PORT",
 * an IPv6 address in brackets; NULL for a wildcard (0.0.0.0, [::]), which
 * names no address a client could use.  Newly allocated. */
char *config_listen_url(const char *listen);
/* What dosed --check-config warns of in [feed] base_url, or NULL: none set
 * while listen takes every address, or a base_url naming another port of
 * the machine dosed listens on (listen changed, base_url left behind).
 * Newly allocated. */
char *config_base_url_warning(const DosedConfig *config);

#endif
