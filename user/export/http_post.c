// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "base/clock.h"
#include "export/http_post.h"

#define DEFAULT_PORT "4318"	/* OTLP/HTTP */
#define HEADERS_MAX 8192	/* the status line and headers kept */

int http_url_parse(const char *url, struct http_url *out, char *err, size_t errlen)
{
	const char *host = url, *end, *port = NULL, *path;
	size_t host_len;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "--otlp %s: https is not spoken here: give the collector's plain http:// "
			 "endpoint (on this host or beside it; the collector forwards over TLS)", url);
		return -EINVAL;
	}
	if (strncmp(url, "http://", 7)) {
		snprintf(err, errlen, "--otlp %s: not an http:// URL: give one like http://127.0.0.1:4318", url);
		return -EINVAL;
	}
	host += 7;
	path = host + strcspn(host, "/?#");
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end || end > path) {
			snprintf(err, errlen, "--otlp %s: an IPv6 address goes in brackets: http://[::1]:4318", url);
			return -EINVAL;
		}
		host_len = (size_t)(end - host - 1);
		host++;
		if (end[1] == ':')
			port = end + 2;
		else if (end + 1 != path)
			goto bad_port;
	} else {
		end = memchr(host, ':', (size_t)(path - host));
		host_len = (size_t)((end ? end : path) - host);
		if (end)
			port = end + 1;
	}
	if (!host_len || host_len >= sizeof(out->host)) {
		snprintf(err, errlen, "--otlp %s: no host name (or one too long): give one like http://127.0.0.1:4318", url);
		return -EINVAL;
	}
	memcpy(out->host, host, host_len);
	if (port) {
		size_t len = (size_t)(path - port);
		long number;
		char *stop;

		if (!len || len >= sizeof(out->port))
			goto bad_port;
		memcpy(out->port, port, len);
		number = strtol(out->port, &stop, 10);
		if (*stop || number < 1 || number > 65535)
			goto bad_port;
	} else {
		snprintf(out->port, sizeof(out->port), "%s", DEFAULT_PORT);
	}
	if (*path && *path != '/') {
		snprintf(err, errlen, "--otlp %s: no query or fragment: give the collector's base URL", url);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(out->path)) {
		snprintf(err, errlen, "--otlp %s: the path is too long (at most %zu bytes)", url, sizeof(out->path) - 1);
		return -EINVAL;
	}
	snprintf(out->path, sizeof(out->path), "%s", path);
	/* The signal's path follows: no '/' doubled. */
	for (size_t len = strlen(out->path); len && out->path[len - 1] == '/'; len--)
		out->path[len - 1] = '\0';
	return 0;
bad_port:
	snprintf(err, errlen, "--otlp %s: the port must be a number from 1 to 65535", url);
	return -EINVAL;
}

/* Milliseconds left before DEADLINE_NS (CLOCK_MONOTONIC), 0 when past. */
static int left_ms(uint64_t deadline_ns)
{
	uint64_t now = monotonic_ns();

	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* When a request gives up: at its deadline, or once CANCEL_FD (-1: none) is readable. */
struct io_limit {
	uint64_t deadline_ns;	/* CLOCK_MONOTONIC */
	int cancel_fd;
};

/* Wait for EVENTS on FD within LIMIT: 0, -ETIMEDOUT, -ECANCELED or -errno. */
static int wait_fd(int fd, short events, const struct io_limit *limit)
{
	struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = limit->cancel_fd, .events = POLLIN } };
	int ms, rc;

	for (;;) {
		ms = left_ms(limit->deadline_ns);
		if (!ms)
			return -ETIMEDOUT;
		rc = poll(p, limit->cancel_fd >= 0 ? 2 : 1, ms);
		if (rc > 0 && p[1].revents)
			return -ECANCELED;
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_to(const struct http_url *url, const struct io_limit *limit, int *fd_out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = -EHOSTUNREACH, fd, soerr;
	socklen_t len = sizeof(soerr);

	if (getaddrinfo(url->host, url->port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
			rc = -errno;
		else if ((rc = wait_fd(fd, POLLOUT, limit)) == 0 &&
			 !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
			rc = -soerr;
		if (!rc) {
			*fd_out = fd;
			break;
		}
		close(fd);
		if (rc == -ETIMEDOUT || rc == -ECANCELED)
			break;
	}
	freeaddrinfo(res);
	return rc;
}

static int send_all(int fd, const void *data, size_t len, const struct io_limit *limit)
{
	const char *p = data;
	ssize_t n;
	int rc;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -errno;
		} else if ((rc = wait_fd(fd, POLLOUT, limit))) {
			return rc;
		}
	}
	return 0;
}

/* The value of header NAME in HEADERS (lines after the status line), or NULL. */
static const char *header(const char *headers, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = strstr(headers, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		if (!strncasecmp(line + 2, name, len) && line[2 + len] == ':') {
			const char *v = line + 3 + len;

			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

/*
 * The final answer's head in BUF[0..GOT) parsed, once it is whole: 1 with
 * the status, Retry-After and where its body starts (*BODY_AT) and ends
 * (*WANT: SIZE_MAX if only the end of the connection says; the body is
 * not kept if chunked); 0 if more is needed.  An interim (1xx) answer is
 * dropped from BUF first.  -EPROTO for a head that is no HTTP.
 */
static int parse_head(char *buf, size_t *got, struct http_response *res, size_t *body_at, size_t *want,
		      bool *keep_body)
{
	char *end;
	const char *v;

	for (;;) {
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			return *got > HEADERS_MAX ? -EPROTO : 0;
		*end = '\0';
		if (sscanf(buf, "HTTP/1.%*1[01] %3d", &res->status) != 1)
			return -EPROTO;
		*body_at = (size_t)(end - buf) + 4;
		if (res->status >= 200)
			break;
		/* 100 Continue, 103 Early Hints: the answer is still to come. */
		memmove(buf, buf + *body_at, *got - *body_at + 1);
		*got -= *body_at;
	}
	if ((v = header(buf, "Retry-After")) && *v >= '0' && *v <= '9')
		res->retry_after_s = strtol(v, NULL, 10);
	*keep_body = true;
	*want = SIZE_MAX;
	if (res->status == 204 || res->status == 304)
		*want = *body_at;
	else if ((v = header(buf, "Content-Length")))
		*want = *body_at + strtoull(v, NULL, 10);
	else if ((v = header(buf, "Transfer-Encoding")) && !strncasecmp(v, "chunked", 7))
		*keep_body = false;	/* framed in chunks: the status is what counts */
	return 1;
}

/*
 * The answer: status, Retry-After and the body's first bytes.  Once the
 * head is in, the status stands even if the body is cut short (a timeout,
 * the connection closed): the collector has answered.
 */
static int read_response(int fd, const struct io_limit *limit, struct http_response *res)
{
	char *buf = malloc(HEADERS_MAX + HTTP_BODY_MAX + 1);
	size_t got = 0, body_at = 0, want = SIZE_MAX;
	bool head = false, keep_body = false;
	ssize_t n;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	while (!head || got < want) {
		if (got == HEADERS_MAX + HTTP_BODY_MAX)
			break;		/* enough of it: the rest is not kept */
		n = recv(fd, buf + got, HEADERS_MAX + HTTP_BODY_MAX - got, 0);
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (!head) {
				rc = parse_head(buf, &got, res, &body_at, &want, &keep_body);
				if (rc < 0)
					break;
				head = rc == 1;
				rc = 0;
			}
		} else if (n == 0) {
			rc = head ? 0 : got ? -EPROTO : -ENOMSG;
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			rc = head ? 0 : -errno;
			break;
		} else if ((rc = wait_fd(fd, POLLIN, limit))) {
			rc = head ? 0 : rc;
			break;
		}
	}
	if (!rc && keep_body) {
		res->body_len = got - body_at > HTTP_BODY_MAX ? HTTP_BODY_MAX : got - body_at;
		if (want != SIZE_MAX && res->body_len > want - body_at)
			res->body_len = want - body_at;
		memcpy(res->body, buf + body_at, res->body_len);
	}
	free(buf);
	return rc;
}

int http_post(const struct http_url *url, const char *path, const char *content_type, const char *content_encoding,
	      const void *body, size_t len, int timeout_ms, int cancel_fd, struct http_response *res, char *err,
	      size_t errlen)
{
	struct io_limit limit = { monotonic_ns() + (uint64_t)timeout_ms * 1000000, cancel_fd };
	char head[1024];
	int fd = -1, rc, n;
	const char *step = "connect to";

	res->status = 0;
	res->retry_after_s = -1;
	res->body_len = 0;
	n = snprintf(head, sizeof(head),
		     "POST %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nContent-Type: %s\r\n%s%s%sContent-Length: %zu\r\n"
		     "User-Agent: pybpf\r\nConnection: close\r\n\r\n",
		     url->path, path, strchr(url->host, ':') ? "[" : "", url->host, strchr(url->host, ':') ? "]" : "",
		     url->port, content_type, content_encoding ? "Content-Encoding: " : "",
		     content_encoding ? content_encoding : "", content_encoding ? "\r\n" : "", len);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, errlen, "the request's head is too long");
		return -EINVAL;
	}
	rc = connect_to(url, &limit, &fd);
	if (!rc) {
		step = "send to";
		rc = send_all(fd, head, (size_t)n, &limit);
	}
	if (!rc)
		rc = send_all(fd, body, len, &limit);
	/* A collector may answer (and close) before it has read all of a body it refuses. */
	if (!rc || rc == -EPIPE || rc == -ECONNRESET) {
		int sent = rc;

		step = "read the answer of";
		rc = read_response(fd, &limit, res);
		if (rc && sent)
			rc = sent;
	}
	if (fd >= 0)
		close(fd);
	if (rc)
		snprintf(err, errlen, "cannot %s http://%s%s%s:%s%s%s: %s", step, strchr(url->host, ':') ? "[" : "",
			 url->host, strchr(url->host, ':') ? "]" : "", url->port, url->path, path,
			 rc == -EPROTO ? "the answer is no HTTP" : rc == -EHOSTUNREACH ? "no address for the host" :
			 rc == -ENOMSG ? "the connection closed with no answer" : strerror(-rc));
	return rc;
}
