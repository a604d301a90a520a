/* SPDX-License-Identifier: MIT */
/* .env files: the parser, provider keys and database URIs. No I/O here:
 * the unit tests feed it bytes. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/dotenv.h"
#include "common/zero.h"

/* A variable's name is at most a secret name's length. */
#define KEY_MAX 255u

struct lexer {
	const uint8_t *p;
	size_t len, pos;
	unsigned line; /* of p[pos], from 1 */
	const char *why;
};

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool
is_key_char(uint8_t c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static void
skip_blanks(struct lexer *x)
{
	while (x->pos < x->len && is_blank(x->p[x->pos]))
		x->pos++;
}

/* At the end of a line: its LF, a CR before an LF or the end, or the end. */
static bool
at_eol(const struct lexer *x)
{
	if (x->pos >= x->len || x->p[x->pos] == '\n')
		return true;
	return x->p[x->pos] == '\r' && (x->pos + 1 >= x->len || x->p[x->pos + 1] == '\n');
}

/* Past the next LF (or to the end). */
static void
skip_line(struct lexer *x)
{
	const uint8_t *nl = memchr(x->p + x->pos, '\n', x->len - x->pos);

	if (nl == NULL) {
		x->pos = x->len;
		return;
	}
	x->pos = (size_t)(nl - x->p) + 1;
	x->line++;
}

static int
fail(struct lexer *x, const char *why)
{
	x->why = why;
	return -EINVAL;
}

/* A block for up to N value bytes and a NUL. */
static uint8_t *
value_alloc(size_t n)
{
	return n < SIZE_MAX ? malloc(n + 1) : NULL;
}

/* 'literal' at x->pos (the opening quote). */
static int
lex_single(struct lexer *x, uint8_t **ret, size_t *ret_len)
{
	size_t start = x->pos + 1, i;
	const uint8_t *end = memchr(x->p + start, '\'', x->len - start);
	uint8_t *v;

	if (end == NULL)
		return fail(x, "unterminated single quote");
	*ret_len = (size_t)(end - (x->p + start));
	v = value_alloc(*ret_len);
	if (v == NULL)
		return -ENOMEM;
	memcpy(v, x->p + start, *ret_len);
	v[*ret_len] = '\0';
	for (i = start; i < start + *ret_len; i++)
		if (x->p[i] == '\n')
			x->line++;
	x->pos = start + *ret_len + 1;
	*ret = v;
	return 0;
}

/* The byte an escape \C stands for, or 0 when it is not an escape. */
static uint8_t
escape_of(uint8_t c)
{
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case '\\': return '\\';
	case '"': return '"';
	case '$': return '$';
	default: return 0;
	}
}

/* "with escapes" at x->pos (the opening quote). */
static int
lex_double(struct lexer *x, uint8_t **ret, size_t *ret_len)
{
	size_t i = x->pos + 1, n = 0;
	unsigned lines = 0;
	uint8_t *v, e;

	/* The decoded value is never longer than the quoted text. */
	v = value_alloc(x->len - i);
	if (v == NULL)
		return -ENOMEM;
	for (; i < x->len && x->p[i] != '"'; i++) {
		if (x->p[i] == '\\' && i + 1 < x->len && (e = escape_of(x->p[i + 1])) != 0) {
			v[n++] = e;
			i++;
			continue;
		}
		if (x->p[i] == '\n')
			lines++;
		v[n++] = x->p[i];
	}
	v[n] = '\0';
	if (i >= x->len) {
		zero_free(v, n + 1);
		return fail(x, "unterminated double quote");
	}
	x->line += lines;
	x->pos = i + 1;
	*ret = v;
	*ret_len = n;
	return 0;
}

/* An unquoted value: to the line's end or a " #" comment, trimmed. */
static int
lex_bare(struct lexer *x, uint8_t **ret, size_t *ret_len)
{
	size_t start = x->pos, end = x->pos;
	uint8_t *v;

	while (end < x->len && x->p[end] != '\n') {
		/* x->pos > 0 here: at least "K=" came before. */
		if (x->p[end] == '#' && is_blank(x->p[end - 1]))
			break;
		end++;
	}
	x->pos = end;
	while (end > start && (is_blank(x->p[end - 1]) || x->p[end - 1] == '\r'))
		end--;
	v = value_alloc(end - start);
	if (v == NULL)
		return -ENOMEM;
	memcpy(v, x->p + start, end - start);
	v[end - start] = '\0';
	*ret = v;
	*ret_len = end - start;
	return 0;
}

/* Sets KEY (KLEN bytes) to V (taken over) in D. */
static int
store(struct dotenv *d, const uint8_t *key, size_t klen, uint8_t *v, size_t vlen, unsigned line)
{
	struct dotenv_entry *e;
	size_t i;

	for (i = 0; i < d->n; i++) {
		e = &d->items[i];
		if (strlen(e->key) == klen && memcmp(e->key, key, klen) == 0) {
			zero_free(e->value, e->len + 1);
			e->value = v;
			e->len = vlen;
			return 0;
		}
	}
	if (d->n >= DOTENV_ENTRIES_MAX) {
		zero_free(v, vlen + 1);
		return -E2BIG;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap > 0 ? d->cap * 2 : 16;
		/* Only pointers move: the values stay where they are. */
		e = reallocarray(d->items, ncap, sizeof(*e));
		if (e == NULL) {
			zero_free(v, vlen + 1);
			return -ENOMEM;
		}
		d->items = e;
		d->cap = ncap;
	}
	e = &d->items[d->n];
	e->key = strndup((const char *)key, klen);
	if (e->key == NULL) {
		zero_free(v, vlen + 1);
		return -ENOMEM;
	}
	e->value = v;
	e->len = vlen;
	e->line = line;
	d->n++;
	return 0;
}

/* NAME=VALUE at x->pos (not blank, not a comment), through its line end. */
static int
lex_assignment(struct lexer *x, struct dotenv *d)
{
	unsigned line = x->line;
	size_t key, klen;
	uint8_t *v = NULL;
	size_t vlen = 0;
	int r;

	if (x->len - x->pos > 6 && memcmp(x->p + x->pos, "export", 6) == 0 &&
	    is_blank(x->p[x->pos + 6])) {
		x->pos += 6;
		skip_blanks(x);
	}
	key = x->pos;
	while (x->pos < x->len && is_key_char(x->p[x->pos], x->pos == key))
		x->pos++;
	klen = x->pos - key;
	if (klen == 0)
		return fail(x, "expected NAME=VALUE");
	if (klen > KEY_MAX)
		return fail(x, "variable name too long");
	skip_blanks(x);
	if (x->pos >= x->len || x->p[x->pos] != '=')
		return fail(x, "expected '=' after the variable's name");
	x->pos++;
	skip_blanks(x);
	if (x->pos < x->len && x->p[x->pos] == '\'')
		r = lex_single(x, &v, &vlen);
	else if (x->pos < x->len && x->p[x->pos] == '"')
		r = lex_double(x, &v, &vlen);
	else
		r = lex_bare(x, &v, &vlen);
	if (r < 0) {
		x->line = line;
		return r;
	}
	skip_blanks(x);
	if (!at_eol(x) && x->p[x->pos] != '#') {
		zero_free(v, vlen + 1);
		return fail(x, "unexpected text after the closing quote");
	}
	skip_line(x);
	r = store(d, x->p + key, klen, v, vlen, line);
	if (r == -E2BIG)
		x->line = line;
	return r;
}

int
dotenv_parse(const uint8_t *buf, size_t len, struct dotenv *ret, unsigned *ret_line,
             const char **ret_why)
{
	struct lexer x = {.p = buf, .len = len, .line = 1};
	const uint8_t *nul;
	size_t i;
	int r = 0;

	*ret = (struct dotenv){0};
	nul = len > 0 ? memchr(buf, '\0', len) : NULL;
	if (nul != NULL) {
		for (i = 0; i < (size_t)(nul - buf); i++)
			if (buf[i] == '\n')
				x.line++;
		r = fail(&x, "a NUL byte");
	}
	while (r == 0 && x.pos < x.len) {
		skip_blanks(&x);
		if (at_eol(&x) || x.p[x.pos] == '#')
			skip_line(&x);
		else
			r = lex_assignment(&x, ret);
	}
	if (r == -E2BIG)
		x.why = "too many variables";
	if (r < 0) {
		*ret_line = x.line;
		*ret_why = x.why != NULL ? x.why : "out of memory";
	}
	return r;
}

void
dotenv_free(struct dotenv *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].key);
		zero_free(d->items[i].value, d->items[i].len + 1);
	}
	free(d->items);
	*d = (struct dotenv){0};
}

const char *
dotenv_provider(const char *name)
{
	static const char *const table[][2] = {
	        {"GEMINI_API_KEY", "gemini"},         {"GOOGLE_API_KEY", "gemini"},
	        {"OPENAI_API_KEY", "openai"},         {"ANTHROPIC_API_KEY", "anthropic"},
	        {"OPENROUTER_API_KEY", "openrouter"}, {"GROQ_API_KEY", "groq"},
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i][0]) == 0)
			return table[i][1];
	return NULL;
}
