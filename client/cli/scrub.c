/* SPDX-License-Identifier: MIT */
/* Replacing a secret's bytes in messages: in place, without allocating. */

#include <stdlib.h>
#include <string.h>

#include "client/cli/scrub.h"
#include "common/zero.h"

static void
add_one(struct scrub_list *l, const uint8_t *p, size_t len, uint8_t *owned)
{
	if (l->n >= SCRUB_MAX) {
		l->overflow = true;
		if (owned != NULL)
			zero_free(owned, len);
		return;
	}
	l->items[l->n].p = p;
	l->items[l->n].len = len;
	l->items[l->n].owned = owned;
	l->n++;
}

/* RFC 3986 unreserved: what a URI keeps as it is. */
static bool
unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static bool
is_control(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

static void
add_encoded(struct scrub_list *l, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, k = 0, n = 0;
	uint8_t *e;

	for (i = 0; i < len; i++)
		n += unreserved(p[i]) ? 1 : 3;
	if (n == len)
		return;
	if ((e = malloc(n)) == NULL) {
		l->overflow = true;
		return;
	}
	for (i = 0; i < len; i++) {
		if (unreserved(p[i])) {
			e[k++] = p[i];
			continue;
		}
		e[k++] = '%';
		e[k++] = (uint8_t)hex[p[i] >> 4];
		e[k++] = (uint8_t)hex[p[i] & 15];
	}
	add_one(l, e, n, e);
}

static void
add_spaced(struct scrub_list *l, const uint8_t *p, size_t len)
{
	size_t i;
	uint8_t *e;

	for (i = 0; i < len && !is_control(p[i]); i++)
		;
	if (i == len)
		return;
	if ((e = malloc(len)) == NULL) {
		l->overflow = true;
		return;
	}
	for (i = 0; i < len; i++)
		e[i] = is_control(p[i]) ? ' ' : p[i];
	add_one(l, e, len, e);
}

void
scrub_add(struct scrub_list *l, const void *p, size_t len)
{
	if (len == 0)
		return;
	add_one(l, p, len, NULL);
	add_encoded(l, p, len);
	add_spaced(l, p, len);
	scrub_add_lines(l, p, len);
}

void
scrub_add_lines(struct scrub_list *l, const void *p, size_t len)
{
	const uint8_t *s = p, *end = s + len, *nl;

	if (memchr(s, '\n', len) == NULL)
		return; /* one line: the value itself is there already */
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		/* A line of a multi-line secret (a PEM key) on its own; a
		 * \r before the newline is not part of it. */
		size_t n = (size_t)(nl - s);

		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n >= SCRUB_LINE_MIN)
			add_one(l, s, n, NULL);
	}
}

bool
scrub_full(const struct scrub_list *l)
{
	return l->overflow;
}

void
scrub_free(struct scrub_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->items[i].owned != NULL)
			zero_free(l->items[i].owned, l->items[i].len);
	l->n = 0;
	l->overflow = false;
}

/* Replaces BUF[POS..POS+N) with "***" (BUF holds *LEN bytes, room for
 * CAP; what would pass CAP is cut; *HI: the largest length reached). */
static void
replace_at(uint8_t *buf, size_t *len, size_t cap, size_t *hi, size_t pos, size_t n)
{
	size_t tail = *len - pos - n;

	if (pos + 3 > cap) {
		*len = pos;
		return;
	}
	if (pos + 3 + tail > cap)
		tail = cap - pos - 3;
	memmove(buf + pos + 3, buf + pos + n, tail);
	memcpy(buf + pos, "***", 3);
	*len = pos + 3 + tail;
	if (*len > *hi)
		*hi = *len;
}

static void
replace_all(uint8_t *buf, size_t *len, size_t cap, size_t *hi, const uint8_t *p, size_t n)
{
	size_t pos = 0;
	uint8_t *hit;

	while (pos < *len && (hit = memmem(buf + pos, *len - pos, p, n)) != NULL) {
		pos = (size_t)(hit - buf);
		replace_at(buf, len, cap, hi, pos, n);
		pos += 3;
	}
}

/* The longest proper tail of P (N bytes) that BUF (*LEN bytes) starts
 * with: replaced. */
static void
replace_head(uint8_t *buf, size_t *len, size_t cap, size_t *hi, const uint8_t *p, size_t n)
{
	size_t k = n - 1 < *len ? n - 1 : *len;

	for (; k > 0; k--) {
		if (memcmp(buf, p + n - k, k) == 0) {
			replace_at(buf, len, cap, hi, 0, k);
			return;
		}
	}
}

size_t
scrub_bytes(const struct scrub_list *l, uint8_t *buf, size_t len, size_t cap, bool head_cut)
{
	bool done[SCRUB_MAX] = {false};
	size_t i, j, best, hi = len;

	for (i = 0; i < l->n; i++) {
		for (best = SCRUB_MAX, j = 0; j < l->n; j++)
			if (!done[j] && (best == SCRUB_MAX || l->items[j].len > l->items[best].len))
				best = j;
		done[best] = true;
		if (head_cut && len > 0)
			replace_head(buf, &len, cap, &hi, l->items[best].p, l->items[best].len);
		replace_all(buf, &len, cap, &hi, l->items[best].p, l->items[best].len);
	}
	if (hi > len)
		explicit_bzero(buf + len, hi - len);
	return len;
}

void
scrub_string(const struct scrub_list *l, char *s, size_t size)
{
	size_t n;

	if (size == 0)
		return;
	n = scrub_bytes(l, (uint8_t *)s, strnlen(s, size - 1), size - 1, false);
	s[n] = '\0';
}
