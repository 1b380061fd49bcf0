/* config_url.c - where phones reach the feed (SPEC 6, [feed]): the URL
 * of a listen address, and what dosed --check-config warns of in
 * base_url.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

/* HOST (without brackets) and PORT of a listen value parse_listen()
 * accepted; newly allocated. */
static void split_listen(const char *listen, char **host, char **port)
{
	const char *colon = strrchr(listen, ':');

	if (listen[0] == '[')
		*host = g_strndup(listen + 1, (gsize)(colon - listen - 2));
	else
		*host = g_strndup(listen, (gsize)(colon - listen));
	*port = g_strdup(colon + 1);
}

/* 0.0.0.0, ::, or another spelling of them: every address of the machine. */
static bool host_is_wildcard(const char *host)
{
	GInetAddress *address = g_inet_address_new_from_string(host);
	bool any = address != NULL && g_inet_address_get_is_any(address);

	g_clear_object(&address);
	return any;
}

char *config_listen_url(const char *listen)
{
	char *host, *port, *url = NULL;

	split_listen(listen, &host, &port);
	if (!host_is_wildcard(host)) {
		/* In a URL an IPv6 address is in brackets, and the '%' of
		 * a zone (fe80::1%eth0) is written %25 (RFC 6874). */
		if (strchr(host, ':') != NULL) {
			char **parts = g_strsplit(host, "%", 2);
			char *zone = parts[1] ? g_strconcat("%25", parts[1], NULL) : g_strdup("");

			url = g_strdup_printf("http://[%s%s]:%s", parts[0], zone, port);
			g_free(zone);
			g_strfreev(parts);
		} else {
			url = g_strdup_printf("http://%s:%s", host, port);
		}
	}
	g_free(host);
	g_free(port);
	return url;
}

/* localhost, 127.0.0.0/8, ::1: this machine, whichever one is named. */
static bool host_is_loopback(const char *host)
{
	GInetAddress *address;
	bool loopback;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return true;
	address = g_inet_address_new_from_string(host);
	loopback = address != NULL && g_inet_address_get_is_loopback(address);
	g_clear_object(&address);
	return loopback;
}

/* Whether a URL's host names the machine a listen host is on, as far as
 * the names tell: the same address, loopback for loopback, and for a
 * wildcard listen any loopback name or this machine's own name. */
static bool same_machine(const char *url_host, const char *listen_host)
{
	GInetAddress *a, *b;
	bool same;

	if (g_ascii_strcasecmp(url_host, listen_host) == 0)
		return true;
	if (host_is_loopback(url_host) && host_is_loopback(listen_host))
		return true;
	if (host_is_wildcard(listen_host))
		return host_is_loopback(url_host) ||
		       g_ascii_strcasecmp(url_host, g_get_host_name()) == 0;
	/* "::ffff:127.0.0.1" and other spellings of one address. */
	a = g_inet_address_new_from_string(url_host);
	b = g_inet_address_new_from_string(listen_host);
	same = a != NULL && b != NULL && g_inet_address_equal(a, b);
	g_clear_object(&a);
	g_clear_object(&b);
	return same;
}

char *config_base_url_warning(const DosedConfig *config)
{
	char *listen_host, *listen_port, *warning = NULL;
	const char *url_host;
	GUri *uri;
	int port;

	split_listen(config->feed_listen, &listen_host, &listen_port);
	if (config->feed_base_url == NULL) {
		warning = g_strdup_printf("[feed] listen = %s takes every address of this "
					  "machine, so dosectl cannot tell which one a phone "
					  "reaches: set [feed] base_url to it (such as http://%s:%s, "
					  "or the https:// address of a proxy) before printing feed "
					  "URLs", config->feed_listen, g_get_host_name(), listen_port);
		goto out;
	}
	uri = g_uri_parse(config->feed_base_url, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL)
		goto out;
	url_host = g_uri_get_host(uri);
	port = g_uri_get_port(uri);
	if (port < 0)
		port = g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0 ? 443 : 80;
	if (url_host != NULL && same_machine(url_host, listen_host) &&
	    (guint64)port != g_ascii_strtoull(listen_port, NULL, 10))
		warning = g_strdup_printf("[feed] base_url = %s names port %d of this machine, "
					  "but dosed listens on %s: feed URLs will not reach dosed "
					  "unless a proxy forwards that port to it; make base_url's "
					  "port %s%s", config->feed_base_url, port,
					  config->feed_listen, listen_port,
					  host_is_wildcard(listen_host) ? "" :
					  ", or leave base_url out to use the listen address");
	g_uri_unref(uri);
out:
	g_free(listen_host);
	g_free(listen_port);
	return warning;
}
