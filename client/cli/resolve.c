/* SPDX-License-Identifier: MIT */
/* References with a field ("cred://[OWNER:]NAME[#FIELD]") and the values
 * a command fetches for them, once per secret. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

#define URI_PREFIX "cred://"

bool
cli_field_key_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CRED_FIELD_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int
cli_parse_fref(struct cli *cli, const char *s, struct cli_fref *ret)
{
	const char *hash;
	int r;

	*ret = (struct cli_fref){0};
	if (strncmp(s, URI_PREFIX, strlen(URI_PREFIX)) == 0)
		s += strlen(URI_PREFIX);
	hash = strchr(s, '#');
	ret->ref = hash != NULL ? strndup(s, (size_t)(hash - s)) : strdup(s);
	if (ret->ref == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	if (hash != NULL) {
		if (!cli_field_key_valid(hash + 1, strlen(hash + 1))) {
			r = cli_error(cli, CRED_E_USAGE, NULL,
			              "invalid field name '%s' (1-%u of a-z 0-9 _)", hash + 1,
			              CRED_FIELD_KEY_MAX);
			cli_fref_free(ret);
			return r;
		}
		ret->field = strdup(hash + 1);
		if (ret->field == NULL) {
			cli_fref_free(ret);
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		}
	}
	r = cli_parse_ref(cli, ret->ref, NULL, NULL);
	if (r != 0)
		cli_fref_free(ret);
	return r;
}

void
cli_fref_free(struct cli_fref *f)
{
	free(f->ref);
	free(f->field);
	*f = (struct cli_fref){0};
}

void
cli_cache_free(struct cli_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->items[i].ref);
		cred_value_free(c->items[i].v);
	}
	free(c->items);
	*c = (struct cli_cache){0};
}

/* A new entry for REF in C (its value still to fetch), or NULL. */
static struct cli_cache_entry *
cache_add(struct cli_cache *c, const char *ref)
{
	struct cli_cache_entry *items;
	size_t ncap;

	if (c->n == c->cap) {
		ncap = c->cap == 0 ? 8 : c->cap * 2;
		/* Pointers and statuses only: values stay in their own blocks. */
		items = reallocarray(c->items, ncap, sizeof(*items));
		if (items == NULL)
			return NULL;
		c->items = items;
		c->cap = ncap;
	}
	c->items[c->n] = (struct cli_cache_entry){.ref = strdup(ref)};
	if (c->items[c->n].ref == NULL)
		return NULL;
	return &c->items[c->n++];
}

int
cli_cache_value(struct cli *cli, struct cli_cache *c, const char *ref,
                const struct cred_value **ret, const char **ret_msg)
{
	struct cli_cache_entry *e = NULL;
	const char *m;
	size_t i;

	for (i = 0; i < c->n && e == NULL; i++)
		if (strcmp(c->items[i].ref, ref) == 0)
			e = &c->items[i];
	if (e == NULL) {
		e = cache_add(c, ref);
		if (e == NULL) {
			*ret_msg = cred_strerror(CRED_E_NOMEM);
			return -CRED_E_NOMEM;
		}
		e->err = cred_get(cli->conn, ref, 0, &e->v);
		m = cred_message(cli->conn);
		snprintf(e->msg, sizeof(e->msg), "%s",
		         e->err < 0 ? (*m != '\0' ? m : cred_strerror(e->err)) : "");
	}
	*ret_msg = e->msg;
	if (e->err < 0)
		return e->err;
	*ret = e->v;
	return 0;
}

int
cli_cache_field(struct cli *cli, struct cli_cache *c, const char *ref, const char *field,
                struct cred_value **ret, char *msg, size_t size)
{
	const struct cred_value *v;
	const char *m;
	int r;

	msg[0] = '\0';
	r = cli_cache_value(cli, c, ref, &v, &m);
	if (r < 0) {
		snprintf(msg, size, "%s", m);
		return r;
	}
	r = cred_value_field(v, field, ret);
	if (r == -CRED_E_NOT_FOUND)
		snprintf(msg, size, "no field %s",
		         field != NULL ? field : cred_type_primary(v->type) != NULL
		                                         ? cred_type_primary(v->type)
		                                         : "value");
	else if (r == -CRED_E_INVALID)
		snprintf(msg, size, "a secret of type %s without a well-formed field set",
		         v->type);
	else if (r < 0)
		snprintf(msg, size, "%s", cred_strerror(r));
	return r;
}
