/* fuzz_config.c - the configuration parser (SPEC 6) on arbitrary text.
 *
 * config_load() reads a path, so the input is written to a memfd once per
 * run and read back through /proc/self/fd/N: no file system work in the
 * hot path, and no string entry point needed in the core.  A file is
 * either refused with a DOSED_ERROR_PARSE that names it, or accepted with
 * every value in the range config.c's table allows; either way everything
 * is freed (LeakSanitizer checks).
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"

static int config_fd = -1;
static char config_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	config_fd = memfd_create("dosed-fuzz.conf", MFD_CLOEXEC);
	if (config_fd < 0)
		fuzz_fail("memfd_create: %s", g_strerror(errno));
	/* A memfd is made 0777; the file dosed reads is the caller's alone
	 * (trust_may_read() refuses a world-writable one). */
	if (fchmod(config_fd, 0600) != 0)
		fuzz_fail("fchmod: %s", g_strerror(errno));
	snprintf(config_path, sizeof config_path, "/proc/self/fd/%d", config_fd);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(config_fd, 0) != 0)
		fuzz_fail("ftruncate: %s", g_strerror(errno));
	while (done < size) {
		ssize_t n = pwrite(config_fd, data + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("pwrite: %s", g_strerror(errno));
		done += (size_t)n;
	}
}

static void check_list(char **items, const char *what, bool may_be_empty)
{
	size_t n = 0;

	if (items == NULL)
		fuzz_fail("%s is NULL", what);
	for (; items[n] != NULL; n++) {
		/* config.c: an empty item ("a,,b") is refused. */
		if (items[n][0] == '\0')
			fuzz_fail("%s holds an empty item", what);
		if (!g_utf8_validate(items[n], -1, NULL))
			fuzz_fail("%s holds text that is not UTF-8", what);
	}
	if (n == 0 && !may_be_empty)
		fuzz_fail("%s is empty", what);
}

/* Every value an accepted file can leave, against config.c's table. */
static void check_config(const DosedConfig *config)
{
	if (config->path == NULL || strcmp(config->path, config_path) != 0)
		fuzz_fail("path is \"%s\", not the file read", config->path);
	if (config->store_path == NULL || !g_path_is_absolute(config->store_path))
		fuzz_fail("store path \"%s\" is not absolute", config->store_path);
	if (config->busy_timeout_ms < 0)
		fuzz_fail("busy_timeout %d ms", config->busy_timeout_ms);
	if (config->feed_listen == NULL || strchr(config->feed_listen, ':') == NULL)
		fuzz_fail("listen \"%s\" has no port", config->feed_listen);
	/* No base_url only where listen names no address to default to. */
	char *listen_url = config_listen_url(config->feed_listen);
	if (config->feed_base_url == NULL && listen_url != NULL)
		fuzz_fail("no base_url, though listen \"%s\" is %s", config->feed_listen,
			  listen_url);
	g_free(listen_url);
	if (config->feed_base_url != NULL &&
	    (!(g_ascii_strncasecmp(config->feed_base_url, "http://", 7) == 0 ||
	       g_ascii_strncasecmp(config->feed_base_url, "https://", 8) == 0) ||
	     g_str_has_suffix(config->feed_base_url, "/")))
		fuzz_fail("base_url \"%s\"", config->feed_base_url);
	/* The warning check-config prints must not trip on any accepted file. */
	g_free(config_base_url_warning(config));
	if (config->feed_horizon_months < 1 || config->feed_horizon_months > 120 ||
	    config->feed_history_months < 1 || config->feed_history_months > 120)
		fuzz_fail("months %d / %d out of 1-120", config->feed_horizon_months,
			  config->feed_history_months);
	if (config->feed_clinic_days < 1 || config->feed_clinic_days > 366)
		fuzz_fail("clinic_days %d out of 1-366", config->feed_clinic_days);
	if (config->reminders_at < 0 || config->reminders_at >= 24 * 3600)
		fuzz_fail("reminders at %d s after midnight", config->reminders_at);
	if (config->reminders_before_ms < 0)
		fuzz_fail("before %" G_GINT64_FORMAT " ms", config->reminders_before_ms);
	/* config.c: 0 would repeat the reminder without pause. */
	if (config->reminders_overdue_every_ms <= 0 || config->reminders_snooze_ms <= 0)
		fuzz_fail("overdue_every %" G_GINT64_FORMAT " ms, snooze %" G_GINT64_FORMAT
			  " ms", config->reminders_overdue_every_ms, config->reminders_snooze_ms);
	check_list(config->sites, "[rotation] sites", true);
	check_list(config->protocol_paths, "[protocols] paths", true);
	for (size_t i = 0; config->sites[i] != NULL; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(config->sites[i], config->sites[j]) == 0)
				fuzz_fail("site \"%s\" is listed twice", config->sites[i]);
	for (size_t i = 0; config->protocol_paths[i] != NULL; i++)
		if (!g_path_is_absolute(config->protocol_paths[i]))
			fuzz_fail("protocol path \"%s\" is not absolute",
				  config->protocol_paths[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DosedConfig *config;
	GError *error = NULL;
	/* The defaults differ (SPEC 6): read both ways. */
	bool system = size > 0 && (data[0] & 1);

	write_input(data, size);
	config = config_load(config_path, system, &error);
	if (config == NULL) {
		/* config.h: "FILE:LINE: [section] key: ...". */
		if (error == NULL || error->domain != DOSED_ERROR ||
		    error->code != DOSED_ERROR_PARSE ||
		    !g_str_has_prefix(error->message, config_path) ||
		    strchr(error->message, '\n') != NULL)
			fuzz_fail("refused without a one-line DOSED_ERROR_PARSE naming the file: "
				  "%s",
				  error != NULL ? error->message : "(no error)");
		g_error_free(error);
		return 0;
	}
	if (error != NULL)
		fuzz_fail("accepted with an error set: %s", error->message);
	if (config->system != system)
		fuzz_fail("asked for system %d, got %d", system, config->system);
	check_config(config);
	config_destroy(config);
	return 0;
}
