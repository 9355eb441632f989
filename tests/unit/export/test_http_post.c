// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/export/http_post.h against a server made here on 127.0.0.1: the
 * request as sent, and answers as collectors and proxies give them (an
 * interim 100 first, a chunked body, 204, a body ended by the connection,
 * an answer cut short, none at all).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "export/http_post.h"

struct server {
	int listener;
	const char *answer;		/* written once the request is read */
	char request[2048];
	size_t request_len;
	pthread_t thread;
};

static void *serve_one(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->listener, NULL, NULL);
	ssize_t n;

	if (fd < 0)
		return NULL;
	/* The head, then the body Content-Length says (the tests' are small). */
	while (s->request_len < sizeof(s->request) - 1) {
		const char *end, *length;

		n = read(fd, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len);
		if (n <= 0)
			break;
		s->request_len += (size_t)n;
		s->request[s->request_len] = '\0';
		end = strstr(s->request, "\r\n\r\n");
		length = strstr(s->request, "Content-Length: ");
		if (end && length && s->request_len >= (size_t)(end + 4 - s->request) + strtoul(length + 16, NULL, 10))
			break;
	}
	if (s->answer)
		(void)!write(fd, s->answer, strlen(s->answer));
	close(fd);
	return NULL;
}

static struct http_url start(struct server *s, const char *answer)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	struct http_url url;
	char text[64], err[256];

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s->listener, 0);
	cr_assert_eq(bind(s->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(s->listener, 1), 0);
	cr_assert_eq(getsockname(s->listener, (struct sockaddr *)&addr, &len), 0);
	snprintf(text, sizeof(text), "http://127.0.0.1:%d/base/", ntohs(addr.sin_port));
	cr_assert_eq(http_url_parse(text, &url, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pthread_create(&s->thread, NULL, serve_one, s), 0);
	return url;
}

/* POST "hello" to the server answering ANSWER: http_post's result, with RES and ERR. */
static int post(const char *answer, struct http_response *res, char *err, size_t errlen, struct server *s)
{
	struct http_url url = start(s, answer);
	/* A minute bounds only a failure: every answer here comes at once. */
	int rc = http_post(&url, "/v1development/profiles", "application/x-protobuf", "gzip", "hello", 5, 60000, -1,
			   res, err, errlen);

	pthread_join(s->thread, NULL);
	close(s->listener);
	return rc;
}

static struct http_response res;
static struct server server;
static char err[512];

Test(http_post, the_request_and_a_plain_answer)
{
	cr_assert_eq(post("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\nok",
			  &res, err, sizeof(err), &server), 0, "%s", err);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(res.body_len, 2);
	cr_assert_eq(res.retry_after_s, -1);
	cr_assert(strstr(server.request, "POST /base/v1development/profiles HTTP/1.1\r\n") == server.request,
		  "%s", server.request);
	cr_assert(strstr(server.request, "\r\nContent-Type: application/x-protobuf\r\n"));
	cr_assert(strstr(server.request, "\r\nContent-Encoding: gzip\r\n"));
	cr_assert(strstr(server.request, "\r\nContent-Length: 5\r\n"));
	cr_assert(strstr(server.request, "\r\n\r\nhello"));
}

Test(http_post, an_interim_answer_is_not_the_answer)
{
	cr_assert_eq(post("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n"
			  "Content-Length: 4\r\n\r\nbusy", &res, err, sizeof(err), &server), 0, "%s", err);
	cr_assert_eq(res.status, 503);
	cr_assert_eq(res.retry_after_s, 7);
	cr_assert_eq(res.body_len, 4);
	cr_assert_eq(memcmp(res.body, "busy", 4), 0);
}

Test(http_post, chunked_and_unframed_bodies)
{
	cr_assert_eq(post("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			  &res, err, sizeof(err), &server), 0, "%s", err);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(res.body_len, 0, "a chunked body is not kept");
	/* No length: the body ends with the connection. */
	cr_assert_eq(post("HTTP/1.1 400 Bad Request\r\n\r\nno such thing", &res, err, sizeof(err), &server), 0);
	cr_assert_eq(res.status, 400);
	cr_assert_eq(res.body_len, 13);
	cr_assert_eq(post("HTTP/1.1 204 No Content\r\n\r\n", &res, err, sizeof(err), &server), 0);
	cr_assert_eq(res.status, 204);
}

Test(http_post, an_answer_cut_short_still_counts)
{
	/* Content-Length 100, 4 bytes, then the connection closes: the status stands. */
	cr_assert_eq(post("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok", &res, err, sizeof(err), &server),
		     0, "%s", err);
	cr_assert_eq(res.status, 200);
}

Test(http_post, no_answer_or_no_http)
{
	cr_assert_eq(post(NULL, &res, err, sizeof(err), &server), -ENOMSG);
	cr_assert(strstr(err, "the connection closed with no answer"), "%s", err);
	cr_assert_eq(post("SSH-2.0-OpenSSH\r\n\r\n", &res, err, sizeof(err), &server), -EPROTO);
	cr_assert(strstr(err, "the answer is no HTTP"), "%s", err);
	cr_assert_eq(res.status, 0);
}
