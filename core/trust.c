/* trust.c - which files dosed may read (issue 6); see trust.h. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* The folder holding a file that is not itself world-writable: anyone may
 * replace the file in a world-writable folder, unless the sticky bit keeps
 * them to their own files and this one is the caller's or root's. */
static bool trust_folder_of_file(const char *path, const struct stat *file, GError **error)
{
	char *folder = g_path_get_dirname(path);
	struct stat info;
	bool trusted = false;
	/* O_PATH: stat needs no read permission on the folder. */
	int fd = open(folder, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &info) != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "cannot check the folder %s holding %s: %s; check its permissions",
			    folder, path, g_strerror(errno));
	} else if ((info.st_mode & S_IWOTH) == 0) {
		trusted = true;
	} else if ((info.st_mode & S_ISVTX) == 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the folder %s holding %s is writable by every user, so anyone could replace the file; run chmod o-w %s, or move the file",
			    folder, path, folder);
	} else if (file->st_uid != geteuid() && file->st_uid != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%s is in the shared folder %s and belongs to another user (uid %u); move it to a folder of your own",
			    path, folder, (unsigned)file->st_uid);
	} else {
		trusted = true;
	}
	if (fd >= 0)
		close(fd);
	g_free(folder);
	return trusted;
}

/* Issue 6: checked on the file already opened (fstat), so that what is
 * checked is what is read, not whatever the name pointed to a moment
 * before. */
bool trust_may_read(int fd, const char *path, GError **error)
{
	struct stat info;

	if (fstat(fd, &info) != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "cannot check the permissions of %s: %s", path, g_strerror(errno));
		return false;
	}
	/* /dev/null and other devices hold nothing anyone could write for
	 * dosed to read later; a file without a name nobody else can open. */
	if (S_ISCHR(info.st_mode) || info.st_nlink == 0)
		return true;
	if (S_ISDIR(info.st_mode)) {
		/* Even with the sticky bit, anyone could add a file to it. */
		if ((info.st_mode & S_IWOTH) == 0)
			return true;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the folder %s is writable by every user, so anyone could add files that dosed reads; run chmod o-w %s",
			    path, path);
		return false;
	}
	if ((info.st_mode & S_IWOTH) != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%s is writable by every user, so anyone could change what dosed reads; run chmod o-w %s",
			    path, path);
		return false;
	}
	return trust_folder_of_file(path, &info, error);
}
