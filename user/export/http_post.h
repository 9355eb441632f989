/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded HTTP/1.1 POST, for OTLP/HTTP: one connection a request
 * ("Connection: close"), every step (name lookup aside: the resolver's own
 * timeouts bound it) under one deadline, and at most HTTP_BODY_MAX bytes
 * of the answer kept.  Plain http:// only: a collector on the host or
 * beside it (a sidecar, a node agent); TLS is the collector's job.
 */
#ifndef PYBPF_EXPORT_HTTP_POST_H
#define PYBPF_EXPORT_HTTP_POST_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_MAX 4096

struct http_url {
	char host[256];
	char port[8];
	char path[512];		/* the URL's path, without a trailing '/' ("" for none) */
};

/*
 * Parse "http://HOST[:PORT][/PATH]" (HOST a name, an IPv4 address or an
 * [IPv6] one; PORT 4318, OTLP/HTTP's, if not given).  0, or -EINVAL with
 * one line in ERR naming the problem and the fix.
 */
int http_url_parse(const char *url, struct http_url *out, char *err, size_t errlen);

struct http_response {
	int status;		/* 200...; 0: none came */
	long retry_after_s;	/* Retry-After in seconds; -1: none */
	size_t body_len;	/* bytes kept of the body (at most HTTP_BODY_MAX) */
	uint8_t body[HTTP_BODY_MAX];
};

/*
 * POST BODY (LEN bytes of CONTENT_TYPE, in CONTENT_ENCODING if not NULL:
 * "gzip") to URL's path followed by PATH,
 * giving up after TIMEOUT_MS, or as soon as CANCEL_FD (-1: none) is
 * readable.  0 with the response (any status), or -errno (-ETIMEDOUT,
 * -ECANCELED, -ECONNREFUSED, -EPROTO for an answer that is no HTTP...)
 * with one line in ERR.
 */
int http_post(const struct http_url *url, const char *path, const char *content_type, const char *content_encoding,
	      const void *body, size_t len, int timeout_ms, int cancel_fd, struct http_response *res, char *err,
	      size_t errlen);

#endif
