// SPDX-License-Identifier: BSD-3-Clause
/* user/export/http_post.h: --otlp's URL, and one line naming what is wrong with a bad one. */
#include <criterion/criterion.h>
#include <errno.h>
#include "export/http_post.h"

Test(http_url, forms_of_a_collector_url)
{
	struct http_url u;
	char err[256];

	cr_assert_eq(http_url_parse("http://127.0.0.1:4318", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_str_eq(u.port, "4318");
	cr_assert_str_eq(u.path, "");
	cr_assert_eq(http_url_parse("http://collector", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "collector");
	cr_assert_str_eq(u.port, "4318", "OTLP/HTTP's port when none is given");
	cr_assert_eq(http_url_parse("http://[::1]:9999/otlp/", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "::1");
	cr_assert_str_eq(u.port, "9999");
	cr_assert_str_eq(u.path, "/otlp", "no '/' doubled before the signal's path");
}

Test(http_url, bad_urls_say_what_to_give)
{
	static const struct { const char *url, *says; } bad[] = {
		{ "https://c:4318", "https is not spoken here" },
		{ "127.0.0.1:4318", "not an http:// URL" },
		{ "http://:4318", "no host name" },
		{ "http://c:0", "the port must be a number from 1 to 65535" },
		{ "http://c:70000", "the port must be a number from 1 to 65535" },
		{ "http://c:43x", "the port must be a number from 1 to 65535" },
		{ "http://[::1", "an IPv6 address goes in brackets" },
		{ "http://c:4318?x=1", "no query or fragment" },
	};
	struct http_url u;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(http_url_parse(bad[i].url, &u, err, sizeof(err)), -EINVAL, "%s", bad[i].url);
		cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].url, err);
		cr_assert(!strchr(err, '\n'), "one line");
	}
}
