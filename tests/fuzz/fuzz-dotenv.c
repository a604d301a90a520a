/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the .env parser of cred import-env (dotenv_parse)
 * and what import-env does with each variable it sets: dotenv_provider on
 * the name, dburi_parse on the value (and on the whole input, so that
 * URIs need not be found inside a valid file first).
 *
 * Invariants: the parser returns 0, -EINVAL (with a line inside the input
 * and a printable reason; always for a NUL byte) or -E2BIG; a parsed
 * file's names are unique variable names, its values NUL-terminated, its
 * lines strictly ascending and inside the input; written back (double or
 * single quotes, "export " or not) and parsed again, the same variables
 * come back in the same order with the same bytes, each on the line where
 * it was written. A database URI taken apart is a type the fields hold:
 * postgresql or mysql with its own option key, a password, a valid port,
 * non-empty text for user, host and database; a refused one leaves
 * nothing behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/dburi.h"
#include "client/cli/dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                   \
	do {                       \
		if (!(x))          \
			abort();   \
	} while (0)

/* The number of lines in P: one more than its LFs. */
static unsigned
lines_in(const uint8_t *p, size_t n)
{
	unsigned lines = 1;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	return lines;
}

static bool
key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > 255 || (k[0] >= '0' && k[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static void
check_why(const char *why)
{
	size_t i, n;

	CHECK(why != NULL);
	n = strlen(why);
	CHECK(n > 0 && n < 100);
	for (i = 0; i < n; i++)
		CHECK(why[i] >= 0x20 && why[i] < 0x7f);
}

static void
check_part(const struct dburi_part *p, bool required)
{
	if (p->p == NULL) {
		CHECK(!required && p->len == 0);
		return;
	}
	CHECK(p->p[p->len] == '\0');
}

/* Non-empty, no C0 control or DEL (the UTF-8 is dburi's own business). */
static void
check_text(const struct dburi_part *p)
{
	size_t i;

	check_part(p, true);
	CHECK(p->len > 0);
	for (i = 0; i < p->len; i++)
		CHECK(p->p[i] >= 0x20 && p->p[i] != 0x7f);
}

static void
check_uri(const uint8_t *v, size_t len)
{
	struct dburi u;
	size_t i;
	int r;

	r = dburi_parse(v, len, &u);
	CHECK(r == 0 || r == 1 || r == -ENOMEM);
	if (r != 1) {
		CHECK(u.type == NULL && u.password.p == NULL && u.host.p == NULL &&
		      u.username.p == NULL && u.option.p == NULL);
		return;
	}
	CHECK(u.type != NULL && u.option_key != NULL);
	if (strcmp(u.type, "postgresql") == 0)
		CHECK(strcmp(u.option_key, "sslmode") == 0);
	else
		CHECK(strcmp(u.type, "mysql") == 0 && strcmp(u.option_key, "ssl") == 0);
	check_text(&u.username);
	check_text(&u.host);
	check_text(&u.database);
	check_part(&u.password, true);
	check_part(&u.port, false);
	check_part(&u.option, false);
	if (u.port.p != NULL) {
		unsigned long port = 0;

		CHECK(u.port.len >= 1 && u.port.len <= 5);
		for (i = 0; i < u.port.len; i++) {
			CHECK(u.port.p[i] >= '0' && u.port.p[i] <= '9');
			port = port * 10 + (unsigned long)(u.port.p[i] - '0');
		}
		CHECK(port >= 1 && port <= 65535);
	}
	dburi_free(&u);
	CHECK(u.password.p == NULL && u.type == NULL);
}

/* D written back as a .env file, into a new block of *RET_LEN bytes;
 * LINES[i] is the line where entry i is set. NULL when out of memory. */
static uint8_t *
write_back(const struct dotenv *d, unsigned *lines, size_t *ret_len)
{
	size_t cap = 1, i, j, o = 0;
	unsigned line = 1;
	uint8_t *out;

	for (i = 0; i < d->n; i++)
		cap += strlen("export ") + strlen(d->items[i].key) + 4 + 2 * d->items[i].len;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	for (i = 0; i < d->n; i++) {
		const struct dotenv_entry *e = &d->items[i];
		bool single = memchr(e->value, '\'', e->len) == NULL && i % 2 == 1;

		lines[i] = line;
		if (single) {
			memcpy(out + o, "export ", 7);
			o += 7;
		}
		memcpy(out + o, e->key, strlen(e->key));
		o += strlen(e->key);
		out[o++] = '=';
		out[o++] = single ? '\'' : '"';
		for (j = 0; j < e->len; j++) {
			uint8_t c = e->value[j];

			if (!single && (c == '\\' || c == '"' || c == '$'))
				out[o++] = '\\';
			out[o++] = c;
			if (c == '\n')
				line++;
		}
		out[o++] = single ? '\'' : '"';
		out[o++] = '\n';
		line++;
	}
	CHECK(o < cap);
	*ret_len = o;
	return out;
}

/* D written back and parsed again gives D, each variable on its line. */
static void
check_round_trip(const struct dotenv *d)
{
	struct dotenv again;
	const char *why = NULL;
	unsigned line = 0, *lines;
	uint8_t *text;
	size_t len = 0, i;
	int r;

	lines = calloc(d->n + 1, sizeof(*lines));
	if (lines == NULL)
		return;
	text = write_back(d, lines, &len);
	if (text == NULL) {
		free(lines);
		return;
	}
	r = dotenv_parse(text, len, &again, &line, &why);
	if (r != -ENOMEM) {
		CHECK(r == 0);
		CHECK(again.n == d->n);
		for (i = 0; i < d->n; i++) {
			CHECK(strcmp(again.items[i].key, d->items[i].key) == 0);
			CHECK(again.items[i].len == d->items[i].len);
			CHECK(memcmp(again.items[i].value, d->items[i].value, d->items[i].len) ==
			      0);
			CHECK(again.items[i].line == lines[i]);
		}
	}
	dotenv_free(&again);
	free(text);
	free(lines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotenv d;
	const char *why = NULL, *provider;
	unsigned line = 0, prev = 0, lines = lines_in(data, size);
	size_t i, j;
	int r;

	check_uri(data, size);
	r = dotenv_parse(data, size, &d, &line, &why);
	if (size > 0 && memchr(data, '\0', size) != NULL)
		CHECK(r == -EINVAL);
	if (r != 0) {
		CHECK(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		CHECK(line >= 1 && line <= lines);
		check_why(why);
		dotenv_free(&d);
		return 0;
	}
	CHECK(d.n <= DOTENV_ENTRIES_MAX && d.n <= d.cap);
	for (i = 0; i < d.n; i++) {
		const struct dotenv_entry *e = &d.items[i];

		CHECK(key_ok(e->key));
		CHECK(e->value != NULL && e->value[e->len] == '\0' && e->len <= size);
		CHECK(e->line > prev && e->line <= lines);
		prev = e->line;
		/* the first few against all others: quadratic otherwise */
		for (j = i + 1; i < 64 && j < d.n; j++)
			CHECK(strcmp(e->key, d.items[j].key) != 0);
		provider = dotenv_provider(e->key);
		CHECK(provider == NULL || strcmp(provider, "gemini") == 0 ||
		      strcmp(provider, "openai") == 0 || strcmp(provider, "anthropic") == 0 ||
		      strcmp(provider, "openrouter") == 0 || strcmp(provider, "groq") == 0);
		if (provider != NULL)
			CHECK(strlen(e->key) > 8 &&
			      strcmp(e->key + strlen(e->key) - 8, "_API_KEY") == 0);
		check_uri(e->value, e->len);
	}
	check_round_trip(&d);
	dotenv_free(&d);
	CHECK(d.n == 0 && d.items == NULL);
	return 0;
}
