/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "proto/proto.h"
#include "proto/schema.h"

/*
 * The type registry: DESIGN.md section 5's table, the one place that says
 * which fields a typed secret has. Fields are listed in the table's order
 * (the order cred(1) shows them in), not in wire order. A field is
 * REQUIRED unless it is optional ("?" in the table) or has a default;
 * SECRET fields are the bold ones, and the first is the primary field.
 * The checks of each field are applied by proto_typed_check() (typed.c).
 */

#define REQ_F PROTO_FIELD_REQUIRED
#define SECRET_F PROTO_FIELD_SECRET

#define TEXT_F(n, fl) {.name = (n), .flags = (fl), .check = PROTO_CHECK_TEXT}
#define BYTES_F(n, fl) {.name = (n), .flags = (fl), .check = PROTO_CHECK_BYTES}
#define PORT_F(n, d) {.name = (n), .flags = 0, .check = PROTO_CHECK_PORT, .def = (d)}
#define ENUM_F(n, fl, v) {.name = (n), .flags = (fl), .check = PROTO_CHECK_ENUM, .values = (v)}
#define BOOL_F(n, fl) {.name = (n), .flags = (fl), .check = PROTO_CHECK_BOOL}

static const char *const provider_values[] = {
	"gemini", "openai", "anthropic", "openrouter", "groq", "other", NULL,
};
static const char *const sslmode_values[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
};

static const struct proto_type_field generic_fields[] = {
	BYTES_F("value", REQ_F | SECRET_F),
};
static const struct proto_type_field password_fields[] = {
	TEXT_F("username", 0),
	BYTES_F("password", REQ_F | SECRET_F),
	TEXT_F("url", 0),
};
static const struct proto_type_field api_key_fields[] = {
	ENUM_F("provider", REQ_F, provider_values),
	BYTES_F("key", REQ_F | SECRET_F),
	TEXT_F("endpoint", 0),
};
static const struct proto_type_field oauth2_fields[] = {
	BYTES_F("access_token", REQ_F | SECRET_F),
	BYTES_F("refresh_token", SECRET_F),
	TEXT_F("token_uri", 0),
	TEXT_F("client_id", 0),
	BYTES_F("client_secret", SECRET_F),
	TEXT_F("scope", 0),
	TEXT_F("expires_at", 0),
};
static const struct proto_type_field google_service_account_fields[] = {
	TEXT_F("project_id", REQ_F),
	TEXT_F("client_email", REQ_F),
	TEXT_F("private_key_id", REQ_F),
	BYTES_F("private_key", REQ_F | SECRET_F),
	TEXT_F("token_uri", REQ_F),
};
static const struct proto_type_field postgresql_fields[] = {
	TEXT_F("host", REQ_F),
	PORT_F("port", "5432"),
	TEXT_F("database", REQ_F),
	TEXT_F("username", REQ_F),
	BYTES_F("password", REQ_F | SECRET_F),
	ENUM_F("sslmode", 0, sslmode_values),
};
static const struct proto_type_field mysql_fields[] = {
	TEXT_F("host", REQ_F),
	PORT_F("port", "3306"),
	TEXT_F("database", REQ_F),
	TEXT_F("username", REQ_F),
	BYTES_F("password", REQ_F | SECRET_F),
	BOOL_F("ssl", 0),
};
static const struct proto_type_field snowflake_fields[] = {
	TEXT_F("account", REQ_F),
	TEXT_F("warehouse", REQ_F),
	TEXT_F("database", REQ_F),
	TEXT_F("username", REQ_F),
	BYTES_F("password", REQ_F | SECRET_F),
	TEXT_F("role", 0),
	TEXT_F("schema", 0),
};
static const struct proto_type_field sqlite_fields[] = {
	TEXT_F("path", REQ_F),
	BYTES_F("key", SECRET_F), /* SQLCipher */
};

#define TYPE(n, f) {.name = (n), .fields = (f), .n_fields = (uint32_t)ARRAY_SIZE(f)}

static const struct proto_type types[] = {
	TYPE("generic", generic_fields),
	TYPE("password", password_fields),
	TYPE("api_key", api_key_fields),
	TYPE("oauth2", oauth2_fields),
	TYPE("google_service_account", google_service_account_fields),
	TYPE("postgresql", postgresql_fields),
	TYPE("mysql", mysql_fields),
	TYPE("snowflake", snowflake_fields),
	TYPE("sqlite", sqlite_fields),
};

const struct proto_type *
proto_type_at(size_t i)
{
	return i < ARRAY_SIZE(types) ? &types[i] : NULL;
}

/* NAME (LEN bytes, not NUL-terminated) equals the C string S. */
static bool
name_is(const void *name, size_t len, const char *s)
{
	return strlen(s) == len && (len == 0 || memcmp(name, s, len) == 0);
}

const struct proto_type *
proto_type_lookup(const void *name, size_t len)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (name_is(name, len, types[i].name))
			return &types[i];
	return NULL;
}

const struct proto_type_field *
proto_type_field(const struct proto_type *t, const void *name, size_t len)
{
	uint32_t i;

	if (t == NULL || name == NULL)
		return NULL;
	for (i = 0; i < t->n_fields; i++)
		if (name_is(name, len, t->fields[i].name))
			return &t->fields[i];
	return NULL;
}

const struct proto_type_field *
proto_type_primary(const struct proto_type *t)
{
	uint32_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n_fields; i++)
		if ((t->fields[i].flags & PROTO_FIELD_SECRET) != 0)
			return &t->fields[i];
	return NULL;
}
