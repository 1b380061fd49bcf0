/* config_locate.c - which dosed.conf to read (SPEC section 6), and who
 * is the clinic's staff.
 */
#include "config_private.h"

#include <grp.h>
#include <string.h>
#include <unistd.h>

#ifndef DOSED_SYSCONFDIR
#error "DOSED_SYSCONFDIR must be defined (config.mk passes -DDOSED_SYSCONFDIR)"
#endif

/* SPEC 6: the clinic's file. */
#define CONFIG_SYSTEM_FILE  DOSED_SYSCONFDIR "/dosed/dosed.conf"

/* Whether two paths name the same file, as far as their text tells. */
static bool same_path(const char *a, const char *b)
{
	char *canonical_a = g_canonicalize_filename(a, NULL);
	char *canonical_b = g_canonicalize_filename(b, NULL);
	bool same = strcmp(canonical_a, canonical_b) == 0;

	g_free(canonical_a);
	g_free(canonical_b);
	return same;
}

char *config_personal_file(void)
{
	char *config_home = config_xdg_dir("XDG_CONFIG_HOME", ".config");
	char *file = g_build_filename(config_home, "dosed", "dosed.conf", NULL);

	g_free(config_home);
	return file;
}

void config_locate_in(const char *explicit_path, const char *system_file, bool staff,
		      char **path, bool *system)
{
	char *personal;

	*path = NULL;
	*system = false;
	if (explicit_path != NULL) {
		*path = g_strdup(explicit_path);
		*system = system_file != NULL && same_path(explicit_path, system_file);
		return;
	}
	personal = config_personal_file();
	if (g_file_test(personal, G_FILE_TEST_EXISTS)) {
		*path = personal;
		return;
	}
	g_free(personal);
	if (staff && system_file != NULL && g_file_test(system_file, G_FILE_TEST_EXISTS)) {
		*path = g_strdup(system_file);
		*system = true;
	}
}

bool config_clinic_staff(void)
{
	struct group *group;
	gid_t groups[256];
	int n;

	if (geteuid() == 0)
		return true;
	group = getgrnam("dosed");
	if (group == NULL)
		return false;
	if (getegid() == group->gr_gid)
		return true;
	n = getgroups(G_N_ELEMENTS(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == group->gr_gid)
			return true;
	return false;
}

void config_locate(const char *explicit_path, char **path, bool *system)
{
	config_locate_in(explicit_path, CONFIG_SYSTEM_FILE, config_clinic_staff(), path, system);
}
