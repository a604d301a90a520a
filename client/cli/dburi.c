/* SPDX-License-Identifier: MIT */
/* Database URIs taken apart into fields, percent-decoded: for cred
 * import-env. No I/O here: the unit tests feed it strings. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cli/dburi.h"
#include "common/zero.h"

/* A block for up to N bytes and a NUL. */
static uint8_t *
part_alloc(size_t n)
{
	return n < SIZE_MAX ? malloc(n + 1) : NULL;
}

static int
hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes S (N bytes) into *ret: 1, 0 for a bad escape, -ENOMEM. */
static int
decode(const uint8_t *s, size_t n, struct dburi_part *ret)
{
	uint8_t *p = part_alloc(n);
	size_t i, k = 0;
	int hi, lo;

	if (p == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			p[k++] = s[i];
			continue;
		}
		if (i + 2 >= n) {
			zero_free(p, n + 1);
			return 0;
		}
		hi = hex_val(s[i + 1]);
		lo = hex_val(s[i + 2]);
		if (hi < 0 || lo < 0) {
			zero_free(p, n + 1);
			return 0;
		}
		p[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	p[k] = '\0';
	if (ret->p != NULL)
		zero_free(ret->p, ret->len + 1);
	ret->p = p;
	ret->len = k;
	return 1;
}

/* The agent's TEXT check, and no C1 control either: at least one byte of
 * valid UTF-8 without control characters. */
static bool
text_ok(const struct dburi_part *t)
{
	const uint8_t *s = t->p;
	size_t i = 0, n = t->len, k, need;
	uint32_t cp;

	if (s == NULL || n == 0)
		return false;
	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return false;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1fu;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0fu;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07u;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += need + 1;
	}
	return true;
}

/* Decimal 1-65535. */
static bool
port_ok(const uint8_t *s, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool
in_list(const struct dburi_part *v, const char *const *list)
{
	for (; *list != NULL; list++)
		if (v->len == strlen(*list) && memcmp(v->p, *list, v->len) == 0)
			return true;
	return false;
}

/* Where a URI's pieces lie before decoding. */
struct uri_spans {
	const uint8_t *user, *pass, *host, *port, *path, *query;
	size_t user_n, pass_n, host_n, port_n, path_n, query_n;
	bool bracketed;
};

/* Splits AFTER (N bytes, what follows "scheme://"): true when it has the
 * USER:PASS@HOST[:PORT]/PATH[?QUERY] shape. */
static bool
uri_split(const uint8_t *s, size_t n, struct uri_spans *u)
{
	size_t a = 0, at, c, i;
	const uint8_t *q;

	if (memchr(s, '#', n) != NULL)
		return false;
	while (a < n && s[a] != '/' && s[a] != '?')
		a++;
	if (a >= n || s[a] != '/')
		return false; /* no database */
	for (at = a; at > 0 && s[at - 1] != '@'; at--)
		;
	if (at == 0)
		return false; /* no user, so no password */
	for (c = 0; c < at - 1 && s[c] != ':'; c++)
		;
	if (c >= at - 1)
		return false; /* no password */
	u->user = s;
	u->user_n = c;
	u->pass = s + c + 1;
	u->pass_n = at - 1 - (c + 1);
	u->host = s + at;
	u->host_n = a - at;
	u->port = NULL;
	u->port_n = 0;
	u->bracketed = u->host_n > 0 && u->host[0] == '[';
	if (u->bracketed) {
		q = memchr(u->host, ']', u->host_n);
		if (q == NULL)
			return false;
		i = (size_t)(q - u->host);
		if (i + 1 < u->host_n) {
			if (u->host[i + 1] != ':')
				return false;
			u->port = q + 2;
			u->port_n = u->host_n - i - 2;
		}
		u->host += 1;
		u->host_n = i - 1;
	} else if ((q = memchr(u->host, ':', u->host_n)) != NULL) {
		u->port = q + 1;
		u->port_n = u->host_n - (size_t)(q - u->host) - 1;
		u->host_n = (size_t)(q - u->host);
	}
	if (u->port != NULL && !port_ok(u->port, u->port_n))
		return false;
	if (memchr(u->host, ',', u->host_n) != NULL)
		return false; /* several hosts */
	u->path = s + a + 1;
	q = memchr(u->path, '?', n - a - 1);
	u->path_n = q != NULL ? (size_t)(q - u->path) : n - a - 1;
	u->query = q != NULL ? q + 1 : NULL;
	u->query_n = q != NULL ? n - (size_t)(q + 1 - s) : 0;
	return memchr(u->path, '/', u->path_n) == NULL;
}

/* One QUERY parameter K=V (decoded V into the right part): 1, 0 when the
 * fields cannot hold it, -ENOMEM. */
static int
uri_param(struct dburi *u, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
	static const char *const sslmodes[] = {"disable",   "allow",       "prefer", "require",
	                                       "verify-ca", "verify-full", NULL};
	static const char *const bools[] = {"true", "false", NULL};
	bool pg = strcmp(u->type, "postgresql") == 0;
	struct dburi_part *dst;
	int r;

	if (kn == strlen(u->option_key) && memcmp(k, u->option_key, kn) == 0)
		dst = &u->option;
	else if (pg && kn == 4 && memcmp(k, "host", 4) == 0 && u->host.len == 0)
		dst = &u->host;
	else
		return 0;
	if (dst->p != NULL && !(dst == &u->host && dst->len == 0))
		return 0; /* given twice */
	r = decode(v, vn, dst);
	if (r <= 0)
		return r;
	if (dst == &u->option)
		return in_list(dst, pg ? sslmodes : bools) ? 1 : 0;
	return 1;
}

static int
uri_query(struct dburi *u, const uint8_t *q, size_t n)
{
	const uint8_t *end = q + n, *amp, *eq;
	int r;

	while (q < end) {
		amp = memchr(q, '&', (size_t)(end - q));
		if (amp == NULL)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		if (eq == NULL)
			return 0;
		r = uri_param(u, q, (size_t)(eq - q), eq + 1, (size_t)(amp - eq - 1));
		if (r <= 0)
			return r;
		q = amp < end ? amp + 1 : end;
	}
	return 1;
}

/* The scheme V starts with: its type, and *ret_skip its length. */
static const char *
uri_scheme(const uint8_t *v, size_t len, size_t *ret_skip)
{
	static const char *const schemes[][2] = {
	        {"postgresql://", "postgresql"},
	        {"postgres://", "postgresql"},
	        {"mysql://", "mysql"},
	};
	size_t i, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i][0]);
		if (len > n && strncasecmp((const char *)v, schemes[i][0], n) == 0) {
			*ret_skip = n;
			return schemes[i][1];
		}
	}
	return NULL;
}

static int
uri_fill(const uint8_t *v, size_t len, struct dburi *u)
{
	struct uri_spans s;
	size_t skip = 0;
	int r;

	u->type = uri_scheme(v, len, &skip);
	if (u->type == NULL || !uri_split(v + skip, len - skip, &s))
		return 0;
	u->option_key = strcmp(u->type, "postgresql") == 0 ? "sslmode" : "ssl";
	if ((r = decode(s.user, s.user_n, &u->username)) <= 0 ||
	    (r = decode(s.pass, s.pass_n, &u->password)) <= 0 ||
	    (r = decode(s.host, s.host_n, &u->host)) <= 0 ||
	    (r = decode(s.path, s.path_n, &u->database)) <= 0)
		return r;
	if (s.port != NULL && (r = decode(s.port, s.port_n, &u->port)) <= 0)
		return r;
	if (s.query != NULL && (r = uri_query(u, s.query, s.query_n)) <= 0)
		return r;
	if (!text_ok(&u->username) || !text_ok(&u->host) || !text_ok(&u->database))
		return 0;
	/* A bracketed host is an IPv6 literal, not a socket directory. */
	if (s.bracketed && memchr(u->host.p, ':', u->host.len) == NULL)
		return 0;
	return 1;
}

int
dburi_parse(const uint8_t *v, size_t len, struct dburi *ret)
{
	int r;

	*ret = (struct dburi){0};
	r = uri_fill(v, len, ret);
	if (r <= 0)
		dburi_free(ret);
	return r;
}

static void
part_free(struct dburi_part *p)
{
	if (p->p != NULL)
		zero_free(p->p, p->len + 1);
	*p = (struct dburi_part){0};
}

void
dburi_free(struct dburi *u)
{
	part_free(&u->host);
	part_free(&u->port);
	part_free(&u->database);
	part_free(&u->username);
	part_free(&u->password);
	part_free(&u->option);
	*u = (struct dburi){0};
}
