/* config_private.h - what config.c and config_locate.c share. */
#ifndef DOSED_CONFIG_PRIVATE_H
#define DOSED_CONFIG_PRIVATE_H

#include "config.h"

/* $XDG_DATA_HOME, $XDG_CONFIG_HOME: read at each call rather than through
 * g_get_user_data_dir(), which keeps its first answer for the life of the
 * process; a relative value is ignored, as the XDG Base Directory spec
 * says; else $HOME/fallback.  Newly allocated. */
char *config_xdg_dir(const char *variable, const char *fallback);

#endif
