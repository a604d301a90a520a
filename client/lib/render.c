/* SPDX-License-Identifier: MIT */
/* Rendering typed secrets: connection URIs, environment variables and
 * shell export lines. Every buffer is sized by a counting pass first, so
 * none holding a value is ever grown. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

/* How a URI component is written. */
enum how {
	HOW_PCT,  /* percent-encoded */
	HOW_HOST, /* percent-encoded; in brackets, ':' kept, when it holds ':' */
	HOW_PATH, /* percent-encoded, '/' kept */
};

/* One component: PRE (a literal) then field KEY's value, both left out
 * when an optional field is absent. */
struct part {
	const char *pre;
	const char *key;
	bool required;
	enum how how;
};

#define PARTS_MAX 8

struct uri_form {
	const char *type;
	struct part parts[PARTS_MAX];
};

static const struct uri_form uri_forms[] = {
        {"postgresql",
         {{"postgresql://", "username", true, HOW_PCT},
          {":", "password", true, HOW_PCT},
          {"@", "host", true, HOW_HOST},
          {":", "port", true, HOW_PCT},
          {"/", "database", true, HOW_PCT},
          {"?sslmode=", "sslmode", false, HOW_PCT}}},
        {"mysql",
         {{"mysql://", "username", true, HOW_PCT},
          {":", "password", true, HOW_PCT},
          {"@", "host", true, HOW_HOST},
          {":", "port", true, HOW_PCT},
          {"/", "database", true, HOW_PCT},
          {"?ssl=", "ssl", false, HOW_PCT}}},
        {"snowflake",
         {{"snowflake://", "username", true, HOW_PCT},
          {":", "password", true, HOW_PCT},
          {"@", "account", true, HOW_PCT},
          {"/", "database", true, HOW_PCT},
          {"/", "schema", false, HOW_PCT},
          {"?warehouse=", "warehouse", true, HOW_PCT},
          {"&role=", "role", false, HOW_PCT}}},
        {"sqlite", {{"sqlite:///", "path", true, HOW_PATH}}},
};

struct env_form {
	const char *type;
	struct part vars[PARTS_MAX]; /* pre: the variable's name */
};

static const struct env_form env_forms[] = {
        {"postgresql",
         {{"PGHOST", "host", true, HOW_PCT},
          {"PGPORT", "port", true, HOW_PCT},
          {"PGDATABASE", "database", true, HOW_PCT},
          {"PGUSER", "username", true, HOW_PCT},
          {"PGPASSWORD", "password", true, HOW_PCT},
          {"PGSSLMODE", "sslmode", false, HOW_PCT}}},
        {"mysql",
         {{"MYSQL_HOST", "host", true, HOW_PCT},
          {"MYSQL_TCP_PORT", "port", true, HOW_PCT},
          {"MYSQL_DATABASE", "database", true, HOW_PCT},
          {"MYSQL_USER", "username", true, HOW_PCT},
          {"MYSQL_PWD", "password", true, HOW_PCT}}},
};

/* A field's value (defaults count): 1 with *ret, 0 when an optional one
 * is absent, -CRED_E_INVALID when a required one is absent or any is
 * masked. */
static int
field_value(const char *type, const struct cred_fields *f, const struct part *pt,
            struct proto_bytes *ret)
{
	const uint8_t *p;
	size_t n;
	int r;

	r = cred_fields_get(f, pt->key, type, &p, &n);
	if (r < 0)
		return r;
	if (r == 0)
		return pt->required ? -CRED_E_INVALID : 0;
	if (p == NULL)
		return -CRED_E_INVALID; /* masked: metadata, not a value */
	*ret = (struct proto_bytes){.ptr = p, .len = n};
	return 1;
}

static bool
unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* V percent-encoded (uppercase hex), KEEP (a character, or 0) as is. */
static void
put_pct(struct buf_writer *w, struct proto_bytes v, uint8_t keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < v.len; i++) {
		if (unreserved(v.ptr[i]) || (keep != 0 && v.ptr[i] == keep)) {
			buf_put_u8(w, v.ptr[i]);
		} else {
			buf_put_u8(w, '%');
			buf_put_u8(w, (uint8_t)hex[v.ptr[i] >> 4]);
			buf_put_u8(w, (uint8_t)hex[v.ptr[i] & 15]);
		}
	}
}

static void
put_component(struct buf_writer *w, enum how how, struct proto_bytes v)
{
	bool ipv6 = how == HOW_HOST && v.len > 0 && memchr(v.ptr, ':', v.len) != NULL;

	if (ipv6)
		buf_put_u8(w, '[');
	put_pct(w, v, how == HOW_PATH ? '/' : ipv6 ? ':' : 0);
	if (ipv6)
		buf_put_u8(w, ']');
}

/* Writes the URI of FORM (counting when W has no buffer). */
static int
uri_write(const struct uri_form *form, const struct cred_fields *f, struct buf_writer *w)
{
	const struct part *pt;
	struct proto_bytes v;
	size_t i;
	int r;

	for (i = 0; i < PARTS_MAX && form->parts[i].key != NULL; i++) {
		pt = &form->parts[i];
		r = field_value(form->type, f, pt, &v);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		buf_put_bytes(w, pt->pre, strlen(pt->pre));
		put_component(w, pt->how, v);
	}
	buf_put_u8(w, '\0');
	return buf_writer_error(w) < 0 ? -CRED_E_FAILED : 0;
}

int
cred_render_uri(const char *type, const struct cred_fields *f, char **ret)
{
	const struct uri_form *form = NULL;
	struct buf_writer w;
	size_t i, n;
	char *s;
	int r;

	if (type == NULL || f == NULL || ret == NULL)
		return -CRED_E_USAGE;
	for (i = 0; i < sizeof(uri_forms) / sizeof(uri_forms[0]); i++)
		if (strcmp(uri_forms[i].type, type) == 0)
			form = &uri_forms[i];
	if (form == NULL)
		return -CRED_E_USAGE;
	buf_writer_init(&w, NULL, 0);
	r = uri_write(form, f, &w);
	if (r < 0)
		return r;
	n = w.len;
	s = malloc(n);
	if (s == NULL)
		return -CRED_E_NOMEM;
	buf_writer_init(&w, s, n);
	r = uri_write(form, f, &w);
	if (r < 0 || w.len != n) {
		zero_free(s, n);
		return r < 0 ? r : -CRED_E_FAILED;
	}
	*ret = s;
	return 0;
}

/* ---- environment ---- */

void
cred_env_free(struct cred_env *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free(e->items[i].name);
		if (e->items[i].value != NULL)
			zero_free(e->items[i].value, e->items[i].len + 1);
	}
	free(e->items);
	free(e);
}

/* Appends NAME=V to E (room for it is already there). */
static int
env_add(struct cred_env *e, const char *name, size_t name_len, struct proto_bytes v)
{
	struct cred_env_var *var = &e->items[e->n];

	if (v.len > 0 && memchr(v.ptr, '\0', v.len) != NULL)
		return -CRED_E_INVALID; /* no environment carries a NUL */
	var->name = strndup(name, name_len);
	var->value = malloc(v.len + 1);
	e->n++;
	if (var->name == NULL || var->value == NULL)
		return -CRED_E_NOMEM;
	if (v.len > 0)
		memcpy(var->value, v.ptr, v.len);
	var->value[v.len] = '\0';
	var->len = v.len;
	return 0;
}

/* api_key: <PROVIDER>_API_KEY (provider "other": API_KEY). */
static int
env_api_key(const struct cred_fields *f, struct cred_env *e)
{
	static const struct part provider = {"", "provider", true, HOW_PCT};
	static const struct part key = {"", "key", true, HOW_PCT};
	char name[64 + sizeof("_API_KEY")];
	struct proto_bytes p, k;
	size_t i, n = 0;
	int r;

	if ((r = field_value("api_key", f, &provider, &p)) < 0 ||
	    (r = field_value("api_key", f, &key, &k)) < 0)
		return r;
	if (p.len == 0 || p.len > 64)
		return -CRED_E_INVALID;
	if (!(p.len == 5 && memcmp(p.ptr, "other", 5) == 0)) {
		for (i = 0; i < p.len; i++) {
			if (!((p.ptr[i] >= 'a' && p.ptr[i] <= 'z') ||
			      (p.ptr[i] >= 'A' && p.ptr[i] <= 'Z') ||
			      (p.ptr[i] >= '0' && p.ptr[i] <= '9') || p.ptr[i] == '_'))
				return -CRED_E_INVALID;
			name[n++] = (char)(p.ptr[i] >= 'a' && p.ptr[i] <= 'z' ? p.ptr[i] - 32
			                                                      : p.ptr[i]);
		}
		name[n++] = '_';
	}
	memcpy(name + n, "API_KEY", 7);
	n += 7;
	return env_add(e, name, n, k);
}

static int
env_fill(const char *type, const struct cred_fields *f, struct cred_env *e)
{
	const struct env_form *form = NULL;
	const struct part *pt;
	struct proto_bytes v;
	size_t i;
	int r;

	if (strcmp(type, "api_key") == 0)
		return env_api_key(f, e);
	for (i = 0; i < sizeof(env_forms) / sizeof(env_forms[0]); i++)
		if (strcmp(env_forms[i].type, type) == 0)
			form = &env_forms[i];
	if (form == NULL)
		return -CRED_E_USAGE;
	for (i = 0; i < PARTS_MAX && form->vars[i].key != NULL; i++) {
		pt = &form->vars[i];
		r = field_value(type, f, pt, &v);
		if (r == 0)
			continue;
		if (r < 0 || (r = env_add(e, pt->pre, strlen(pt->pre), v)) < 0)
			return r;
	}
	return 0;
}

int
cred_render_env(const char *type, const struct cred_fields *f, struct cred_env **ret)
{
	struct cred_env *e;
	int r;

	if (type == NULL || f == NULL || ret == NULL)
		return -CRED_E_USAGE;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -CRED_E_NOMEM;
	/* Every form has at most PARTS_MAX variables. */
	e->items = calloc(PARTS_MAX, sizeof(*e->items));
	if (e->items == NULL) {
		free(e);
		return -CRED_E_NOMEM;
	}
	r = env_fill(type, f, e);
	if (r < 0) {
		cred_env_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

static int
export_write(const struct cred_env *e, struct buf_writer *w)
{
	const struct cred_env_var *var;
	size_t i, k;

	for (i = 0; i < e->n; i++) {
		var = &e->items[i];
		buf_put_bytes(w, "export ", 7);
		buf_put_bytes(w, var->name, strlen(var->name));
		buf_put_bytes(w, "='", 2);
		for (k = 0; k < var->len; k++) {
			if (var->value[k] == '\'')
				buf_put_bytes(w, "'\\''", 4);
			else
				buf_put_u8(w, (uint8_t)var->value[k]);
		}
		buf_put_bytes(w, "'\n", 2);
	}
	buf_put_u8(w, '\0');
	return buf_writer_error(w) < 0 ? -CRED_E_FAILED : 0;
}

int
cred_env_export(const struct cred_env *e, char **ret)
{
	struct buf_writer w;
	size_t n;
	char *s;

	if (e == NULL || ret == NULL)
		return -CRED_E_USAGE;
	buf_writer_init(&w, NULL, 0);
	if (export_write(e, &w) < 0)
		return -CRED_E_FAILED;
	n = w.len;
	s = malloc(n);
	if (s == NULL)
		return -CRED_E_NOMEM;
	buf_writer_init(&w, s, n);
	if (export_write(e, &w) < 0 || w.len != n) {
		zero_free(s, n);
		return -CRED_E_FAILED;
	}
	*ret = s;
	return 0;
}
