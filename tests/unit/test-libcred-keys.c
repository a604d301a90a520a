/* SPDX-License-Identifier: MIT */
/*
 * libcred's key calls against the in-process fake agent of
 * libcred-fake.h: LOCK, UNLOCK, PASSWD, KEYSLOT_LIST, KEYSLOT_ADD,
 * KEYSLOT_RM, BACKUP and REKEY frames carry the fields asked for; the
 * descriptor of BACKUP and of KEYSLOT_ADD (keyfile) really reaches the
 * agent as SCM_RIGHTS data on the frame's first chunk; LOCKED, DENIED (a
 * wrong passphrase) and CONFLICT (the last keyslot, a rekey running) map
 * to their errors; bad arguments fail before anything is sent.
 */

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

/* A memfd holding LEN bytes of P, its offset back at 0. */
static int
memfd_with(const void *p, size_t len)
{
	int fd = memfd_create("libcred-keys", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* ---- names and numbers ---- */

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(cred_keyslot_kind_name(CRED_KEYSLOT_KEYFILE), "keyfile");
	assert_string_equal(cred_keyslot_kind_name(CRED_KEYSLOT_PASSPHRASE), "passphrase");
	assert_null(cred_keyslot_kind_name(0));
	assert_null(cred_keyslot_kind_name(3));
	assert_null(cred_keyslot_kind_name(-1));
	assert_int_equal(CRED_KEYSLOT_KEYFILE, PROTO_SLOT_KEYFILE);
	assert_int_equal(CRED_KEYSLOT_PASSPHRASE, PROTO_SLOT_PASSPHRASE);
	assert_int_equal(CRED_PASSPHRASE_MAX, PROTO_PASSPHRASE_MAX);
	/* DESIGN.md section 8: a wrong passphrase is DENIED, exit 4; a
	 * locked agent exit 5; the last keyslot a CONFLICT, exit 7. */
	assert_int_equal(cred_exit_code(-CRED_E_DENIED), 4);
	assert_int_equal(cred_exit_code(-CRED_E_LOCKED), 5);
	assert_int_equal(cred_exit_code(-CRED_E_CONFLICT), 7);
	assert_string_equal(cred_error_name(-CRED_E_LOCKED), "LOCKED");
}

/* ---- lock, unlock ---- */

static void
test_lock_unlock(void **state)
{
	struct fixture *fx = *state;
	struct cred_keyslot_list *l = NULL;

	assert_int_equal(cred_lock(fx->c), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_LOCK);
	assert_true(fx->fake.keys_locked);

	/* Locked: what needs a key answers LOCKED. */
	assert_int_equal(cred_keyslot_list(fx->c, &l), -CRED_E_LOCKED);
	assert_null(l);

	/* A wrong passphrase: DENIED with the agent's message. */
	assert_int_equal(cred_unlock(fx->c, "wrong", 5), -CRED_E_DENIED);
	assert_string_equal(cred_message(fx->c), "wrong passphrase");
	assert_true(fx->fake.keys_locked);

	/* The passphrase goes as given, every byte. */
	assert_int_equal(cred_unlock(fx->c, "correct horse", 13), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_UNLOCK);
	assert_true(fx->fake.keys.has_passphrase);
	assert_string_equal(fx->fake.keys_pass, "correct horse");
	assert_false(fx->fake.keys_locked);
	assert_string_equal(cred_message(fx->c), "");

	/* No passphrase: the keyfile is re-read. */
	assert_int_equal(cred_lock(fx->c), 0);
	assert_int_equal(cred_unlock(fx->c, NULL, 0), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_UNLOCK);
	assert_false(fx->fake.keys.has_passphrase);
	assert_false(fx->fake.keys_locked);
	assert_int_equal(fx->fake.fds_received, 0);
}

static void
test_passphrase_checks(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(CRED_PASSPHRASE_MAX + 1);
	int before = fx->fake.requests;

	assert_non_null(big);
	memset(big, 'x', CRED_PASSPHRASE_MAX + 1);
	/* Refused before anything is sent. */
	assert_int_equal(cred_unlock(fx->c, NULL, 3), -CRED_E_USAGE);
	assert_int_equal(cred_unlock(fx->c, "", 0), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "empty passphrase");
	assert_int_equal(cred_unlock(fx->c, big, CRED_PASSPHRASE_MAX + 1), -CRED_E_USAGE);
	assert_non_null(strstr(cred_message(fx->c), "too long"));
	assert_int_equal(cred_passwd(fx->c, "a", 1, NULL, 0, -1), -CRED_E_USAGE);
	assert_int_equal(cred_passwd(fx->c, NULL, 0, "b", 1, -1), -CRED_E_USAGE);
	assert_int_equal(cred_passwd(fx->c, "a", 1, "b", 1, -2), -CRED_E_USAGE);
	assert_int_equal(cred_keyslot_add_passphrase(fx->c, "", 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_keyslot_add_passphrase(fx->c, big, CRED_PASSPHRASE_MAX + 1, NULL),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_lock(NULL), -CRED_E_USAGE);
	assert_int_equal(cred_keyslot_list(fx->c, NULL), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, before);

	/* The longest passphrase fits and arrives whole. */
	assert_int_equal(cred_unlock(fx->c, big, CRED_PASSPHRASE_MAX), 0);
	assert_int_equal(strlen(fx->fake.keys_pass), CRED_PASSPHRASE_MAX);
	assert_int_equal(fx->fake.requests, before + 1);
	free(big);
}

/* ---- passwd ---- */

static void
test_passwd(void **state)
{
	struct fixture *fx = *state;

	/* Slot -1: the one the old passphrase opens (no SLOT field). */
	assert_int_equal(cred_passwd(fx->c, "old pass", 8, "new pass!", 9, -1), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_PASSWD);
	assert_string_equal(fx->fake.keys_pass, "old pass");
	assert_true(fx->fake.keys.has_new_passphrase);
	assert_string_equal(fx->fake.keys_new_pass, "new pass!");
	assert_false(fx->fake.keys.has_slot);

	assert_int_equal(cred_passwd(fx->c, "o", 1, "n", 1, 2), 0);
	assert_true(fx->fake.keys.has_slot);
	assert_int_equal(fx->fake.keys.slot, 2);
	assert_int_equal(cred_passwd(fx->c, "o", 1, "n", 1, 0), 0);
	assert_true(fx->fake.keys.has_slot);
	assert_int_equal(fx->fake.keys.slot, 0);

	assert_int_equal(cred_passwd(fx->c, "o", 1, "n", 1, 9), -CRED_E_NOT_FOUND);
	/* A wrong old passphrase: DENIED, here with no message. */
	assert_int_equal(cred_passwd(fx->c, "wrong", 5, "n", 1, -1), -CRED_E_DENIED);
	assert_string_equal(cred_message(fx->c), "");
}

/* ---- keyslots ---- */

static void
test_keyslot_list(void **state)
{
	struct fixture *fx = *state;
	struct cred_keyslot_list *l = NULL;

	assert_int_equal(cred_keyslot_list(fx->c, &l), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_KEYSLOT_LIST);
	assert_non_null(l);
	assert_int_equal(l->n, 2);
	assert_int_equal(l->items[0].slot, 0);
	assert_int_equal(l->items[0].kind, CRED_KEYSLOT_KEYFILE);
	assert_int_equal(l->items[0].created, 1700000000);
	assert_int_equal(l->items[1].slot, 3);
	assert_int_equal(l->items[1].kind, CRED_KEYSLOT_PASSPHRASE);
	assert_int_equal(l->items[1].created, 1700000600);
	cred_keyslot_list_free(l);
	cred_keyslot_list_free(NULL);
}

static void
test_keyslot_add_passphrase(void **state)
{
	struct fixture *fx = *state;
	uint32_t slot = 0;

	assert_int_equal(cred_keyslot_add_passphrase(fx->c, "another one", 11, &slot), 0);
	assert_int_equal(slot, 5);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_KEYSLOT_ADD);
	assert_int_equal(fx->fake.keys.slot_kind, PROTO_SLOT_PASSPHRASE);
	assert_string_equal(fx->fake.keys_pass, "another one");
	assert_int_equal(fx->fake.fds_received, 0);
	/* RET_SLOT may be NULL. */
	assert_int_equal(cred_keyslot_add_passphrase(fx->c, "x", 1, NULL), 0);

	fx->fake.keys_locked = true;
	assert_int_equal(cred_keyslot_add_passphrase(fx->c, "x", 1, &slot), -CRED_E_LOCKED);
	fx->fake.keys_locked = false;
}

static void
test_keyslot_add_keyfile(void **state)
{
	struct fixture *fx = *state;
	uint8_t key[32];
	uint32_t slot = 0;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	fd = memfd_with(key, sizeof(key));
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, fd, &slot), 0);
	assert_int_equal(slot, 4);
	assert_int_equal(fx->fake.keys.slot_kind, PROTO_SLOT_KEYFILE);
	assert_false(fx->fake.keys.has_passphrase);
	/* The descriptor arrived, and the fake read the key through it. */
	assert_int_equal(fx->fake.fds_received, 1);
	assert_int_equal(fx->fake.fd_type, PROTO_MSG_KEYSLOT_ADD);
	assert_int_equal(fx->fake.keyfile_len, sizeof(key));
	assert_memory_equal(fx->fake.keyfile, key, sizeof(key));
	/* The caller's descriptor is still the caller's. */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);

	/* The agent's verdict on a short file comes back with its message. */
	fd = memfd_with(key, 16);
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, fd, &slot), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "a keyfile holds 32 bytes");
	assert_int_equal(fx->fake.fds_received, 2);
	close(fd);
}

static void
test_keyslot_rm(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cred_keyslot_rm(fx->c, 3), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_KEYSLOT_RM);
	assert_true(fx->fake.keys.has_slot);
	assert_int_equal(fx->fake.keys.slot, 3);
	/* The last keyslot: CONFLICT, with the agent's message. */
	assert_int_equal(cred_keyslot_rm(fx->c, 0), -CRED_E_CONFLICT);
	assert_string_equal(cred_message(fx->c), "the last keyslot cannot be removed");
	assert_int_equal(cred_keyslot_rm(fx->c, 9), -CRED_E_NOT_FOUND);
	assert_string_equal(cred_message(fx->c), "");
	fx->fake.keys_locked = true;
	assert_int_equal(cred_keyslot_rm(fx->c, 3), -CRED_E_LOCKED);
}

/* ---- backup ---- */

static void
test_backup(void **state)
{
	struct fixture *fx = *state;
	char got[64] = {0};
	int fd;

	fd = memfd_with(NULL, 0);
	assert_int_equal(cred_backup(fx->c, fd), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_BACKUP);
	assert_int_equal(fx->fake.fds_received, 1);
	assert_int_equal(fx->fake.fd_type, PROTO_MSG_BACKUP);
	/* What the agent wrote through the descriptor is in our file. */
	assert_int_equal(pread(fd, got, sizeof(got) - 1, 0), (ssize_t)strlen(FAKE_BACKUP));
	assert_string_equal(got, FAKE_BACKUP);
	close(fd);

	fd = memfd_with(NULL, 0);
	fx->fake.keys_locked = true;
	assert_int_equal(cred_backup(fx->c, fd), -CRED_E_LOCKED);
	assert_int_equal(fx->fake.fds_received, 2);
	close(fd);
}

/* ---- rekey ---- */

static void
test_rekey(void **state)
{
	struct fixture *fx = *state;
	int before;

	assert_int_equal(CRED_REKEY_RESEAL, PROTO_REKEY_RESEAL);
	assert_int_equal(cred_rekey(fx->c, 0), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_REKEY);
	assert_int_equal(fx->fake.rekey_flags, 0);
	assert_int_equal(cred_rekey(fx->c, CRED_REKEY_RESEAL), 0);
	assert_int_equal(fx->fake.rekey_flags, PROTO_REKEY_RESEAL);
	assert_int_equal(fx->fake.fds_received, 0);

	fx->fake.rekey_busy = true;
	assert_int_equal(cred_rekey(fx->c, 0), -CRED_E_CONFLICT);
	assert_string_equal(cred_message(fx->c), "a rekey is already running");
	fx->fake.rekey_busy = false;
	fx->fake.keys_locked = true;
	assert_int_equal(cred_rekey(fx->c, CRED_REKEY_RESEAL), -CRED_E_LOCKED);

	/* unknown flags, or no connection: nothing sent */
	before = fx->fake.requests;
	assert_int_equal(cred_rekey(fx->c, 2), -CRED_E_USAGE);
	assert_int_equal(cred_rekey(fx->c, CRED_REKEY_RESEAL | 0x80000000u), -CRED_E_USAGE);
	assert_int_equal(cred_rekey(NULL, 0), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, before);
}

/* Descriptors that cannot serve are refused before anything is sent, and
 * the connection goes on. */
static void
test_bad_descriptors(void **state)
{
	struct fixture *fx = *state;
	int before = fx->fake.requests;
	int rd, wr, fd;

	assert_int_equal(cred_backup(fx->c, -1), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "bad file descriptor");
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, -1, NULL), -CRED_E_USAGE);
	/* A number that is not open. */
	fd = memfd_with(NULL, 0);
	close(fd);
	assert_int_equal(cred_backup(fx->c, fd), -CRED_E_USAGE);
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, fd, NULL), -CRED_E_USAGE);

	/* Read-only for a backup, write-only for a keyfile: refused. */
	rd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	wr = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(rd >= 0 && wr >= 0);
	assert_int_equal(cred_backup(fx->c, rd), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "the file descriptor is not open for writing");
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, wr, NULL), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "the file descriptor is not open for reading");
	/* An O_PATH descriptor can do neither. */
	fd = open("/dev/null", O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cred_keyslot_add_keyfile(fx->c, fd, NULL), -CRED_E_USAGE);
	close(fd);
	close(rd);
	close(wr);
	assert_int_equal(fx->fake.requests, before);
	assert_int_equal(fx->fake.fds_received, 0);

	assert_int_equal(cred_lock(fx->c), 0);
	assert_int_equal(fx->fake.requests, before + 1);
}

/* A descriptor goes with its own frame only: requests around it carry
 * none (the fake checks each frame). */
static void
test_one_fd_per_frame(void **state)
{
	struct fixture *fx = *state;
	uint32_t slot;
	int fd;

	fd = memfd_with(NULL, 0);
	assert_int_equal(cred_backup(fx->c, fd), 0);
	assert_int_equal(cred_keyslot_add_passphrase(fx->c, "p", 1, &slot), 0);
	assert_int_equal(cred_backup(fx->c, fd), 0);
	assert_int_equal(cred_unlock(fx->c, NULL, 0), 0);
	assert_int_equal(fx->fake.fds_received, 2);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_names),
	        cmocka_unit_test_setup_teardown(test_lock_unlock, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_passphrase_checks, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_passwd, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_keyslot_list, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_keyslot_add_passphrase, fixture_up,
	                                        fixture_down),
	        cmocka_unit_test_setup_teardown(test_keyslot_add_keyfile, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_keyslot_rm, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_backup, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_rekey, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_bad_descriptors, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_one_fd_per_frame, fixture_up, fixture_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
