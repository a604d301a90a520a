/* SPDX-License-Identifier: MIT */
/* Typed secrets in the CLI: field sets from --field, --json-in and
 * stdin, and field sets as JSON. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "common/zero.h"

/* ---- building a field set for put ---- */

bool
cli_type_is_generic(const char *type)
{
	return type == NULL || strcmp(type, "generic") == 0;
}

int
cli_check_field_arg(struct cli *cli, const char *type, const char *arg)
{
	struct cred_type_field tf;
	const char *eq = strchr(arg, '=');
	const char *primary = cred_type_primary(type);
	char key[CRED_FIELD_KEY_MAX + 1];
	size_t n;

	if (eq == NULL || !cli_field_key_valid(arg, (size_t)(eq - arg)))
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "--field: expected KEY=VALUE (KEY 1-%u of a-z 0-9 _), not '%s'",
		                 CRED_FIELD_KEY_MAX, eq == NULL ? arg : "...");
	n = (size_t)(eq - arg);
	memcpy(key, arg, n);
	key[n] = '\0';
	if (cred_type_lookup(type, key, &tf) == 1 && (tf.flags & CRED_FIELD_SECRET))
		return cli_error(cli, CRED_E_USAGE, NULL, "field %s is secret: give it %s", key,
		                 primary != NULL && strcmp(primary, key) == 0
		                         ? "on stdin"
		                         : "in the object of --json-in");
	return 0;
}

/* One JSON member's value as field text: strings as they are, numbers
 * in decimal, true and false as words; null leaves the field out (0 with
 * *ret NULL); objects and arrays: exit 2. *ret is allocated (zeroed on
 * free by the caller with zero_free). */
static int
member_text(struct cli *cli, const char *key, json_t *v, char **ret, size_t *ret_len)
{
	const char *s;
	char *d;

	*ret = NULL;
	*ret_len = 0;
	switch (json_typeof(v)) {
	case JSON_NULL: return 0;
	case JSON_STRING:
		s = json_string_value(v);
		*ret_len = json_string_length(v);
		d = malloc(*ret_len + 1);
		if (d == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		memcpy(d, s, *ret_len + 1);
		*ret = d;
		return 0;
	case JSON_INTEGER:
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
		/* The number's JSON text is its decimal text. */
		d = json_dumps(v, JSON_ENCODE_ANY);
		if (d == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		*ret_len = strlen(d);
		*ret = d;
		return 0;
	default:
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "--json-in: member \"%s\": objects and arrays are not fields", key);
	}
}

/* The members of the JSON object at BUF (LEN bytes) into F. */
static int
json_members(struct cli *cli, const uint8_t *buf, size_t len, struct cred_fields *f)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	char *text;
	size_t n;
	int r = 0;

	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		/* Where only: jansson's text may quote the input, a value. */
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "--json-in: not valid JSON (line %d, column %d)", jerr.line,
		                 jerr.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return cli_error(cli, CRED_E_USAGE, NULL, "--json-in: expected a JSON object");
	}
	json_object_foreach(root, key, v) {
		if (!cli_field_key_valid(key, strlen(key))) {
			r = cli_error(cli, CRED_E_USAGE, NULL,
			              "--json-in: member \"%.64s\" is not a field name (1-%u of a-z "
			              "0-9 _)",
			              key, CRED_FIELD_KEY_MAX);
			break;
		}
		if ((r = member_text(cli, key, v, &text, &n)) != 0)
			break;
		if (text == NULL)
			continue;
		r = cred_fields_set(f, key, text, n);
		zero_free(text, n + 1);
		if (r < 0) {
			r = cli_error(cli, r, NULL, "--json-in: %s",
			              r == -CRED_E_USAGE ? "too many fields" : cred_strerror(r));
			break;
		}
	}
	json_decref(root);
	return r;
}

/* --json-in FILE (or "-"): its members into F. *read_stdin is set when
 * it was stdin. */
static int
fields_from_json(struct cli *cli, const char *file, struct cred_fields *f, bool *read_stdin)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*read_stdin = strcmp(file, "-") == 0;
	r = cli_read_value(cli, file, file, &buf, &len);
	if (r != 0)
		return r;
	r = json_members(cli, buf, len, f);
	zero_free(buf, len);
	return r;
}

/* The primary field from --from-file or stdin (a tty prompt for a
 * required one). An optional primary (sqlite's key) is read only from a
 * file or a non-tty stdin, and left out when empty. */
static int
primary_from_input(struct cli *cli, const struct cli_put_fields *a, const char *primary,
                   bool required, struct cred_fields *f)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int r;

	if (!required && a->file == NULL && isatty(STDIN_FILENO))
		return 0;
	r = cli_read_value(cli, a->file, a->ref, &v, &n);
	if (r != 0)
		return r;
	if (n == 0 && !required) {
		zero_free(v, n);
		return 0;
	}
	r = cred_fields_set(f, primary, v, n);
	zero_free(v, n);
	if (r < 0)
		return cli_error(cli, r, a->ref, NULL);
	return 0;
}

/* The --field arguments into F (checked by cli_check_field_arg). */
static int
fields_from_args(struct cli *cli, const struct cli_put_fields *a, struct cred_fields *f)
{
	const char *eq;
	char key[CRED_FIELD_KEY_MAX + 1];
	size_t i, n;
	int r;

	for (i = 0; i < a->n_fields; i++) {
		eq = strchr(a->fields[i], '=');
		n = (size_t)(eq - a->fields[i]);
		memcpy(key, a->fields[i], n);
		key[n] = '\0';
		r = cred_fields_set(f, key, eq + 1, strlen(eq + 1));
		if (r < 0)
			return cli_error(cli, r, NULL, "--field: %s",
			                 r == -CRED_E_USAGE ? "too many fields" : cred_strerror(r));
	}
	return 0;
}

int
cli_put_fields_build(struct cli *cli, const struct cli_put_fields *a, uint8_t **ret,
                     size_t *ret_len)
{
	struct cred_type_field tf;
	struct cred_fields *f = NULL;
	const char *primary = cred_type_primary(a->type);
	const uint8_t *p;
	bool used_stdin = false;
	size_t n;
	int r;

	if (primary == NULL)
		return cli_error(cli, CRED_E_INVALID, a->ref, "unknown type \"%s\"", a->type);
	if (cred_fields_new(&f) < 0)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	r = a->json_in != NULL ? fields_from_json(cli, a->json_in, f, &used_stdin) : 0;
	if (r == 0)
		r = fields_from_args(cli, a, f);
	/* --from-file names the primary's bytes even when the JSON had it. */
	if (r == 0 && (a->file != NULL || cred_fields_get(f, primary, NULL, &p, &n) == 0)) {
		(void)cred_type_lookup(a->type, primary, &tf);
		if (used_stdin && a->file == NULL) {
			if (tf.flags & CRED_FIELD_REQUIRED)
				r = cli_error(cli, CRED_E_USAGE, a->ref,
				              "the object of --json-in has no field %s (and stdin "
				              "held the object)",
				              primary);
		} else {
			r = primary_from_input(cli, a, primary,
			                       (tf.flags & CRED_FIELD_REQUIRED) != 0, f);
		}
	}
	if (r == 0 && f->n == 0)
		r = cli_error(cli, CRED_E_USAGE, a->ref, "no fields given");
	if (r == 0 && (r = cred_fields_encode(f, ret, ret_len)) < 0)
		r = cli_error(cli, r, a->ref, "%s", cred_strerror(r));
	cred_fields_free(f);
	return r;
}

/* ---- field sets as JSON ---- */

/* Sets KEY in O (and, for bytes not UTF-8, in *B64, created on demand)
 * from P (N bytes; NULL: null). */
static int
json_field_set(json_t *o, json_t **b64, const char *key, const uint8_t *p, size_t n)
{
	json_t *s;

	if (p == NULL)
		return json_object_set_new(o, key, json_null());
	s = cli_json_bytes_string(p, n);
	if (s != NULL)
		return json_object_set_new(o, key, s);
	if (*b64 == NULL && (*b64 = json_object()) == NULL)
		return -1;
	if (json_object_set_new(o, key, json_null()) < 0)
		return -1;
	return json_object_set_new(*b64, key, cli_json_base64(p, n));
}

json_t *
cli_json_fields(const char *type, const struct cred_fields *f, json_t **ret_b64)
{
	struct cred_type_field tf;
	const uint8_t *p;
	json_t *o = json_object();
	size_t i, n;

	*ret_b64 = NULL;
	for (i = 0; o != NULL && i < f->n; i++) {
		if (json_field_set(o, ret_b64, f->items[i].key, f->items[i].value,
		                   f->items[i].len) < 0)
			goto fail;
	}
	/* Defaults the set leaves to the type. */
	for (i = 0; o != NULL && cred_type_field_at(type, i, &tf) == 1; i++) {
		if (tf.def == NULL || cred_fields_get(f, tf.name, NULL, &p, &n) == 1)
			continue;
		if (json_object_set_new(o, tf.name, json_string(tf.def)) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	json_decref(*ret_b64);
	*ret_b64 = NULL;
	return NULL;
}
