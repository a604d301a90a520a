#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make install with DESTDIR and PREFIX puts exactly the expected files in
# place with the right modes; libcred.so.1 has its soname and exports only
# the public API of cred.h; libcred.pc lets a program build with
# pkg-config against the staged tree, shared or static, and the example
# in examples/ so built fetches a secret from an agent; the bash
# completion completes commands and options; make uninstall removes
# exactly what install put there.

# The build directory the binaries under test come from (before lib.sh
# swaps them for copies): make install takes them from there.
_t=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "$(dirname "${CREDAGENTD:-$_t/build/bin/credagentd}")/.." && pwd)
. "$(dirname "$0")/lib.sh"

for t in make pkg-config cc nm readelf; do
	command -v "$t" >/dev/null || bail "$t is installed" "    run: make deps"
done
export LC_ALL=C
VERSION=$(sed -nE 's/^VERSION +:= *//p' "$TOP_DIR/Makefile")
root=$TEST_DIR/root
# -o all: install what was built, never rebuild during the test.
# (Not the flags of a make that runs this test: its jobserver is not ours.)
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$TOP_DIR" --no-print-directory -o all B="$BUILD_DIR" SAN="$SAN" "$@"
}

if ! mk install DESTDIR="$root" PREFIX=/usr >"$TEST_DIR/install.log" 2>&1; then
	bail "make install DESTDIR=$root PREFIX=/usr" "$(tail -20 "$TEST_DIR/install.log")"
fi
pass "make install DESTDIR=... PREFIX=/usr"
unlike "$(cat "$TEST_DIR/install.log")" "systemctl|ldconfig" "... touches nothing of the live system"

# ---- what is installed ----
expected="usr/bin/cred 755
usr/bin/credagentd 755
usr/include/cred.h 644
usr/lib/libcred.a 644
usr/lib/libcred.so link
usr/lib/libcred.so.1 644
usr/lib/pkgconfig/libcred.pc 644
usr/lib/systemd/system/credagentd.service 644
usr/lib/systemd/system/credagentd.socket 644
usr/lib/systemd/user/credagentd.service 644
usr/lib/systemd/user/credagentd.socket 644
usr/lib/sysusers.d/credagent.conf 644
usr/share/bash-completion/completions/cred 644
usr/share/man/man1/cred.1 644
usr/share/man/man3/libcred.3 644
usr/share/man/man8/credagentd.8 644"
listing() { # every file and symlink under ROOT: "PATH MODE" or "PATH link"
	(cd "$1" && find . \( -type f -o -type l \) -printf '%P %m %y\n' | sort |
		awk '{ print $1, ($3 == "l" ? "link" : $2) }')
}
is "$(listing "$root")" "$expected" "exactly the expected files, with their modes"
is "$(readlink "$root/usr/lib/libcred.so")" libcred.so.1 "libcred.so -> libcred.so.1"
soname=$(readelf -d "$root/usr/lib/libcred.so.1" | sed -nE 's/.*\(SONAME\).*\[(.*)\]/\1/p')
is "$soname" libcred.so.1 "libcred.so.1 has the soname libcred.so.1"
for u in system/credagentd.service user/credagentd.service; do
	like "$(grep '^ExecStart=' "$root/usr/lib/systemd/$u")" "^ExecStart=/usr/bin/credagentd( |\$)" \
		"$u runs /usr/bin/credagentd (the PREFIX's)"
done
for m in man1/cred.1 man3/libcred.3 man8/credagentd.8; do
	ok "$m is docs/man/${m#*/} as it is" cmp -s "$root/usr/share/man/$m" "$TOP_DIR/docs/man/${m#*/}"
done
ok "cred.h is client/include/cred.h" cmp -s "$root/usr/include/cred.h" "$TOP_DIR/client/include/cred.h"

# ---- the exported symbols: the public API, all of it, nothing else ----
# Functions cred.h declares: every "cred_NAME(" of the preprocessed header.
declared=$(printf '#include <cred.h>\n' | cc -E -P -I"$root/usr/include" -x c - |
	grep -oE '\bcred_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u)
exported=$(nm -D --defined-only "$root/usr/lib/libcred.so.1" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u)
cmp_ok "$(wc -w <<<"$declared")" -gt 20 "cred.h declares the API ($(wc -w <<<"$declared") functions)"
is "$(grep -v '^cred_' <<<"$exported")" "" "libcred.so.1 exports only cred_* names"
is "$(comm -23 <(echo "$exported") <(echo "$declared"))" "" "... each of them declared in cred.h"
is "$(comm -13 <(echo "$exported") <(echo "$declared"))" "" "... and every function cred.h declares"
like "$(nm -D --defined-only "$root/usr/lib/libcred.so.1" | awk '$3 == "cred_get@@LIBCRED_1"')" \
	"cred_get@@LIBCRED_1" "... under the version node LIBCRED_1 (client/lib/libcred.map)"

# ---- pkg-config against the staged tree ----
pc() {
	PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 pkg-config "$@"
}
is "$(pc --modversion libcred)" "$VERSION" "pkg-config --modversion libcred is $VERSION"
is "$(pc --cflags libcred | xargs)" "-I$root/usr/include" "... --cflags names the staged include directory"
is "$(pc --libs libcred | xargs)" "-L$root/usr/lib -lcred" "... --libs links -lcred from the staged lib directory"
like "$(pc --static --libs libcred | xargs)" "-lcred$" "... --static --libs: libcred.a needs nothing beyond libc"

# The example, built as its Makefile builds it (the way make check does).
ex=$TEST_DIR/ex
exflags="-std=c17 -O2 -g -Wall -Wextra -Wpedantic -Werror"
exld=""
if [ "$SAN" = 1 ]; then
	exflags="$exflags -fsanitize=address,undefined"
	exld="-fsanitize=address,undefined"
fi
export PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
	PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP_DIR/examples" --no-print-directory O="$ex" \
	CFLAGS="$exflags" LDFLAGS="$exld"
is "$RC" 0 "examples/ builds with pkg-config against the staged install" || diag "$OUT$ERR"
like "$OUT" "-I$root/usr/include .*-L$root/usr/lib -lcred" "... its compile line came from pkg-config"
fetch=$ex/cred-fetch
needed=$(readelf -d "$fetch" 2>/dev/null | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | xargs)
like "$needed" "(^| )libcred\.so\.1( |\$)" "... and needs libcred.so.1"
resolved=$(LD_LIBRARY_PATH=$root/usr/lib ldd "$fetch" 2>/dev/null | awk '$1 == "libcred.so.1" { print $3 }')
is "$resolved" "$root/usr/lib/libcred.so.1" "... found in the staged tree"

# The same program linked with libcred.a: --static names every library.
static_libs=$(pc --static --libs libcred)
static_libs=${static_libs/-lcred/-Wl,-Bstatic -lcred -Wl,-Bdynamic}
# shellcheck disable=SC2086,SC2046
run cc $exflags $(pc --cflags libcred) -o "$ex/cred-fetch-static" "$TOP_DIR/examples/cred-fetch.c" \
	$exld $static_libs
is "$RC" 0 "... and links statically with pkg-config --static --libs" || diag "$ERR"
unlike "$(readelf -d "$ex/cred-fetch-static" 2>/dev/null)" "libcred" "... needing no libcred.so"
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# Run both against an agent.
start_agent
value="fetched value $(random_token 12)"$'\t'"no newline"
printf '%s' "$value" >"$TEST_DIR/v1"
printf 'second version\n' >"$TEST_DIR/v2"
run "$CRED" put demo/api-key --from-file "$TEST_DIR/v1"
is "$RC" 0 "cred put demo/api-key"
run "$CRED" put demo/api-key --from-file "$TEST_DIR/v2"
is "$RC" 0 "cred put demo/api-key (version 2)"
fetch_run() { # PROG ARGS...: the value's bytes in $TEST_DIR/got
	local p=$1
	shift
	LD_LIBRARY_PATH=$root/usr/lib timeout 10 "$p" "$@" >"$TEST_DIR/got" 2>"$TEST_DIR/got.err"
	RC=$?
	ERR=$(cat -v "$TEST_DIR/got.err")
}
for p in "$fetch" "$ex/cred-fetch-static"; do
	n=${p##*/}
	fetch_run "$p" demo/api-key
	is "$RC" 0 "$n demo/api-key exits 0"
	ok "... and prints the current value exactly" cmp -s "$TEST_DIR/got" "$TEST_DIR/v2"
	is "$ERR" "" "... saying nothing else"
	fetch_run "$p" -v 1 demo/api-key
	ok "$n -v 1 prints version 1 exactly (no newline added)" cmp -s "$TEST_DIR/got" "$TEST_DIR/v1"
	fetch_run "$p" demo/missing
	is "$RC" 3 "$n on a missing name exits 3, as cred would"
	like "$ERR" "^cred-fetch: demo/missing: " "... with a message on stderr"
	is "$(cat "$TEST_DIR/got")" "" "... and nothing on stdout"
done
fetch_run "$fetch" -s "$TEST_DIR/nothing-here" demo/api-key
is "$RC" 6 "cred-fetch -s with no agent there exits 6 (UNREACHABLE)"
fetch_run "$fetch" 'bad name//x'
is "$RC" 2 "cred-fetch with a malformed name exits 2"

# ---- bash completion ----
comp=$root/usr/share/bash-completion/completions/cred
complete_words() { # WORDS...: what completing the last word offers
	PATH=$(dirname "$CRED"):$PATH bash --norc --noprofile -c '
. "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_cred
printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' bash "$comp" "$@" 2>&1
}
is "$(bash --norc --noprofile -c '. "$1"; complete -p cred' bash "$comp")" \
	"complete -F _cred cred" "the completion registers _cred for cred"
cmds=$("$CRED" --help 2>/dev/null | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f && /^  [a-z]/ { print $1 }' |
	sort | xargs)
cmp_ok "$(wc -w <<<"$cmds")" -gt 10 "cred --help lists the commands ($(wc -w <<<"$cmds"))"
is "$(complete_words cred '')" "$cmds" "cred <TAB>: every command of cred --help"
is "$(complete_words cred ro)" "rollback rotate" "cred ro<TAB>: rollback rotate"
is "$(complete_words cred -)" "--help --json --version -s" "cred -<TAB>: the global options"
is "$(complete_words cred -s /x --json g)" "get" "cred -s SOCK --json g<TAB>: get"
put_opts=$("$CRED" --help 2>/dev/null | awk '$1 == "put"' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | xargs)
like "$put_opts" "--from-file" "cred --help shows put's options"
is "$(complete_words cred put x --)" "$put_opts" "cred put REF --<TAB>: put's options"
is "$(complete_words cred put x --label k=v --)" "$put_opts" "... also after an option's value"
like "$(complete_words cred get x --)" "--version" "cred get REF --<TAB> offers --version"
is "$(complete_words cred keyslot '')" "add-keyfile add-passphrase ls rm" "cred keyslot <TAB>: its subcommands"
like "$(complete_words cred audit '')" "(^| )verify( |\$)" "cred audit <TAB> offers verify"
is "$(complete_words cred share x --perm '')" "read write" "cred share REF --perm <TAB>: read write"
is "$(complete_words cred rotate x --generate 20 --charset '')" "alnum base64url hex printable" \
	"cred rotate --charset <TAB>: the charsets"
like "$(complete_words cred share x --uid ro)" "(^| )root( |\$)" "cred share --uid <TAB>: user names"
mkdir -p "$TEST_DIR/files" && : >"$TEST_DIR/files/backup-one"
is "$(complete_words cred backup "$TEST_DIR/files/back")" "$TEST_DIR/files/backup-one" "cred backup <TAB>: files"
is "$(complete_words cred put x --from-file "$TEST_DIR/files/b")" "$TEST_DIR/files/backup-one" \
	"cred put --from-file <TAB>: files"
is "$(complete_words cred -s "$TEST_DIR/files/b")" "$TEST_DIR/files/backup-one" "cred -s <TAB>: files"
is "$(complete_words cred rollback x --to '')" "" "cred rollback --to <TAB>: nothing (a number)"

# ---- uninstall: exactly what install put there ----
: >"$root/usr/bin/someone-else" && : >"$root/usr/lib/pkgconfig/other.pc"
chmod 0644 "$root/usr/bin/someone-else" "$root/usr/lib/pkgconfig/other.pc"
mk uninstall DESTDIR="$root" PREFIX=/usr >"$TEST_DIR/uninstall.log" 2>&1
is "$?" 0 "make uninstall DESTDIR=... PREFIX=/usr" || diag "$(tail -20 "$TEST_DIR/uninstall.log")"
is "$(listing "$root")" "usr/bin/someone-else 644
usr/lib/pkgconfig/other.pc 644" "... removes every installed file and nothing else"

done_testing
