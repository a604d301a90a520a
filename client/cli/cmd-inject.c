/* SPDX-License-Identifier: MIT */
/* cred inject: a template's {{ cred "REF[#FIELD]" }} and cred://REF[#FIELD]
 * replaced by the values, written all at once (0600, atomically) or not
 * at all. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "client/cli/template.h"
#include "common/zero.h"

enum { OPT_JSON = 0x100 };

/* One reference found in the template: bytes [start, end) become V. */
struct token {
	size_t start, end;
	struct cred_value *v;
};

struct tokens {
	struct token *items;
	size_t n, cap;
};

static void
tokens_free(struct tokens *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		cred_value_free(t->items[i].v);
	free(t->items);
	*t = (struct tokens){0};
}

/* Resolves SPEC (LEN bytes at P) into a new token [START, END). */
static int
token_add(struct cli *cli, struct cli_cache *cache, struct tokens *t, const uint8_t *p,
          size_t len, size_t start, size_t end)
{
	struct cli_fref fr;
	struct token *items;
	char *spec, msg[300];
	int r;

	/* No agent is asked for a template without references. */
	if (cli->conn == NULL && (r = cli_connect(cli)) != 0)
		return r;
	spec = strndup((const char *)p, len);
	if (spec == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	r = cli_parse_fref(cli, spec, &fr);
	if (r != 0) {
		free(spec);
		return r;
	}
	if (t->n == t->cap) {
		items = reallocarray(t->items, t->cap == 0 ? 16 : t->cap * 2, sizeof(*items));
		if (items == NULL) {
			r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
			goto out;
		}
		t->items = items;
		t->cap = t->cap == 0 ? 16 : t->cap * 2;
	}
	t->items[t->n] = (struct token){.start = start, .end = end};
	r = cli_cache_field(cli, cache, fr.ref, fr.field, &t->items[t->n].v, msg, sizeof(msg));
	if (r < 0) {
		r = cli_error(cli, r, spec, "%s", msg);
		goto out;
	}
	t->n++;
out:
	cli_fref_free(&fr);
	free(spec);
	return r;
}

/* What scan() passes along to each reference template_scan() finds. */
struct scan_ctx {
	struct cli *cli;
	struct cli_cache cache;
	struct tokens *t;
};

static int
scan_ref(void *arg, const uint8_t *spec, size_t len, size_t start, size_t end)
{
	struct scan_ctx *c = arg;

	return token_add(c->cli, &c->cache, c->t, spec, len, start, end);
}

/* Every reference of the template IN (N bytes), resolved. */
static int
scan(struct cli *cli, const uint8_t *in, size_t n, struct tokens *t)
{
	struct scan_ctx c = {.cli = cli, .t = t};
	int r;

	r = template_scan(in, n, scan_ref, &c);
	cli_cache_free(&c.cache);
	return r;
}

/* The output: IN with every token replaced, exactly allocated. */
static int
render(const uint8_t *in, size_t n, const struct tokens *t, uint8_t **ret, size_t *ret_len)
{
	size_t total = n, i, o = 0, at = 0;
	uint8_t *out;

	for (i = 0; i < t->n; i++)
		total = total - (t->items[i].end - t->items[i].start) + t->items[i].v->len;
	out = malloc(total + 1);
	if (out == NULL)
		return -CRED_E_NOMEM;
	for (i = 0; i < t->n; i++) {
		memcpy(out + o, in + at, t->items[i].start - at);
		o += t->items[i].start - at;
		if (t->items[i].v->len > 0)
			memcpy(out + o, t->items[i].v->data, t->items[i].v->len);
		o += t->items[i].v->len;
		at = t->items[i].end;
	}
	memcpy(out + o, in + at, n - at);
	out[total] = '\0';
	*ret = out;
	*ret_len = total;
	return 0;
}

/* OUT replaced atomically by P (N bytes): a new 0600 file beside it,
 * written, synced, renamed over it. 0 or an exit code (no file left). */
static int
write_atomic(struct cli *cli, const char *out, const uint8_t *p, size_t n)
{
	char *tmp = NULL, *dcopy = NULL;
	int fd = -1, dfd, r = 0;

	dcopy = strdup(out);
	if (dcopy == NULL || asprintf(&tmp, "%s.cred-XXXXXX", out) < 0) {
		free(dcopy);
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	}
	/* mkostemp: O_CREAT | O_EXCL, mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = cli_error(cli, CRED_E_FAILED, out, "creating a file beside it: %s",
		              strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || cli_write_all(fd, p, n) < 0 || fsync(fd) < 0) {
		r = cli_error(cli, CRED_E_FAILED, out, "writing: %s", strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = cli_error(cli, CRED_E_FAILED, out, "writing: %s", strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		r = cli_error(cli, CRED_E_FAILED, out, "%s", strerror(errno));
		goto fail;
	}
	/* The rename itself survives a crash once the directory is synced. */
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
out:
	free(tmp);
	free(dcopy);
	return r;
}

static int
inject_parse(struct cli *cli, int argc, char **argv, const char **in, const char **out)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"in", required_argument, NULL, 'i'},
	        {"out", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, ":hi:o:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli->json = true; break;
		case 'i': *in = optarg; break;
		case 'o': *out = optarg; break;
		case 'h': cli_command_usage(cli_command_find("inject"), false); return -1;
		default: return cli_option_error(cli, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int
inject_output(struct cli *cli, const char *out, const uint8_t *p, size_t n, size_t refs)
{
	int r;

	if (out == NULL || strcmp(out, "-") == 0) {
		fflush(stdout);
		if (cli_write_all(STDOUT_FILENO, p, n) < 0)
			return cli_error(cli, CRED_E_FAILED, NULL, "writing the output failed");
		return 0;
	}
	r = write_atomic(cli, out, p, n);
	if (r != 0)
		return r;
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:I}", "output", out, "references",
		                                     (json_int_t)refs, "bytes", (json_int_t)n));
	fprintf(stderr, "%s: written (%zu reference%s replaced)\n", out, refs,
	        refs == 1 ? "" : "s");
	return 0;
}

int
cmd_inject(struct cli *cli, int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	struct tokens t = {0};
	uint8_t *tpl = NULL, *res = NULL;
	size_t tlen = 0, rlen = 0;
	int r;

	r = inject_parse(cli, argc, argv, &in, &out);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = cli_read_value(cli, in != NULL ? in : "-", in != NULL ? in : "stdin", &tpl, &tlen);
	if (r != 0)
		return r;
	r = scan(cli, tpl, tlen, &t);
	if (r == 0 && (r = render(tpl, tlen, &t, &res, &rlen)) < 0)
		r = cli_error(cli, r, NULL, NULL);
	if (r == 0)
		r = inject_output(cli, out, res, rlen, t.n);
	if (res != NULL)
		zero_free(res, rlen + 1);
	zero_free(tpl, tlen);
	tokens_free(&t);
	return r;
}
