/* catalogue.c - the catalogue (SPEC section 1): the protocols of the
 * configured files and folders, by id, a later file's replacing an earlier
 * one's.
 */
#include "protocol_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "trust.h"

struct DosedCatalogue {
	GPtrArray *protocols;   /* DosedProtocol *, sorted by id */
};

static int protocol_compare(gconstpointer a, gconstpointer b)
{
	const DosedProtocol *const *pa = a;
	const DosedProtocol *const *pb = b;

	return strcmp((*pa)->id, (*pb)->id);
}

DosedCatalogue *catalogue_create(void)
{
	DosedCatalogue *catalogue = g_new0(DosedCatalogue, 1);

	catalogue->protocols = g_ptr_array_new_with_free_func(protocol_destroy_notify);
	return catalogue;
}

void catalogue_destroy(DosedCatalogue *catalogue)
{
	if (!catalogue)
		return;
	g_ptr_array_unref(catalogue->protocols);
	g_free(catalogue);
}

/* The index of id, or -1. */
static int catalogue_index(const DosedCatalogue *catalogue, const char *id)
{
	guint low = 0, high = catalogue->protocols->len;

	while (low < high) {
		guint middle = low + (high - low) / 2;
		const DosedProtocol *protocol = g_ptr_array_index(catalogue->protocols, middle);
		int order = strcmp(id, protocol->id);

		if (order == 0)
			return (int)middle;
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return -1;
}

/* Parse it all first, so that an error leaves the catalogue as it was. */
static bool catalogue_add_text(DosedCatalogue *catalogue, const char *text, size_t length,
			       const char *name, GError **error)
{
	GPtrArray *protocols = protocol_parse_all(text, length, name, error);

	if (!protocols)
		return false;
	for (guint i = 0; i < protocols->len; i++) {
		DosedProtocol *protocol = g_ptr_array_index(protocols, i);
		int index = catalogue_index(catalogue, protocol->id);

		/* A later file's protocol replaces an earlier one: clinic overrides. */
		g_ptr_array_index(protocols, i) = NULL;
		if (index >= 0) {
			protocol_destroy(g_ptr_array_index(catalogue->protocols, index));
			g_ptr_array_index(catalogue->protocols, index) = protocol;
		} else {
			g_ptr_array_add(catalogue->protocols, protocol);
			g_ptr_array_sort(catalogue->protocols, protocol_compare);
		}
	}
	g_ptr_array_unref(protocols);
	return true;
}

bool catalogue_add_string(DosedCatalogue *catalogue, const char *text, const char *name,
			  GError **error)
{
	return catalogue_add_text(catalogue, text, strlen(text), name, error);
}

bool catalogue_add_file(DosedCatalogue *catalogue, const char *path, GError **error)
{
	FILE *file = fopen(path, "rb");
	GString *text;
	char buffer[8192];
	size_t got;
	bool ok;

	if (!file) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol file '%s': %s; check the path", path,
			    g_strerror(saved));
		return false;
	}
	/* Issue 6: a protocol decides when people inject; one that anyone
	 * may edit is refused. */
	if (!trust_may_read(fileno(file), path, error)) {
		fclose(file);
		return false;
	}
	text = g_string_new(NULL);
	while ((got = fread(buffer, 1, sizeof buffer, file)) > 0)
		g_string_append_len(text, buffer, (gssize)got);
	if (ferror(file)) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol file '%s': %s; check the path", path,
			    g_strerror(saved));
		fclose(file);
		g_string_free(text, TRUE);
		return false;
	}
	fclose(file);
	ok = catalogue_add_text(catalogue, text->str, text->len, path, error);
	g_string_free(text, TRUE);
	return ok;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A directory's "*.ini" files, in name order (hidden files left out: editors
 * leave ".x.ini.swp"-like files behind).  The folder is checked as opened
 * and read from that descriptor: a folder anyone may add to is refused. */
static bool catalogue_add_directory(DosedCatalogue *catalogue, const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	GPtrArray *names;
	const struct dirent *entry;
	bool ok = true;

	if (fd < 0 || !trust_may_read(fd, path, error)) {
		if (fd < 0)
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
				    "cannot read protocol folder '%s': %s; check the path", path,
				    g_strerror(errno));
		else
			close(fd);
		return false;
	}
	dir = fdopendir(fd);
	if (!dir) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol folder '%s': %s; check the path", path,
			    g_strerror(errno));
		close(fd);
		return false;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.' && g_str_has_suffix(entry->d_name, ".ini"))
			g_ptr_array_add(names, g_build_filename(path, entry->d_name, NULL));
	closedir(dir);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; ok && i < names->len; i++)
		ok = catalogue_add_file(catalogue, g_ptr_array_index(names, i), error);
	g_ptr_array_unref(names);
	return ok;
}

/* A missing path named like a directory ("protocols.d", "x/") is skipped: a
 * clinic need not have one.  Any other missing path is an error, so that a
 * mistyped file name is not silently ignored. */
static bool path_names_directory(const char *path)
{
	return g_str_has_suffix(path, "/") || g_str_has_suffix(path, ".d");
}

DosedCatalogue *catalogue_load(const char *const *paths, GError **error)
{
	g_autoptr(DosedCatalogue) catalogue = catalogue_create();

	for (const char *const *path = paths; path && *path; path++) {
		struct stat info;
		bool ok;

		if (stat(*path, &info) != 0) {
			int saved = errno;

			if (saved == ENOENT && path_names_directory(*path))
				continue;
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
				    "cannot read protocol file '%s': %s; check the path", *path,
				    g_strerror(saved));
			return NULL;
		}
		if (S_ISDIR(info.st_mode))
			ok = catalogue_add_directory(catalogue, *path, error);
		else
			ok = catalogue_add_file(catalogue, *path, error);
		if (!ok)
			return NULL;
	}
	return g_steal_pointer(&catalogue);
}

const DosedProtocol *catalogue_find(const DosedCatalogue *catalogue, const char *id)
{
	int index = catalogue_index(catalogue, id);

	return index < 0 ? NULL : g_ptr_array_index(catalogue->protocols, index);
}

size_t catalogue_size(const DosedCatalogue *catalogue)
{
	return catalogue->protocols->len;
}

const DosedProtocol *catalogue_get(const DosedCatalogue *catalogue, size_t index)
{
	if (index >= catalogue->protocols->len)
		return NULL;
	return g_ptr_array_index(catalogue->protocols, index);
}
