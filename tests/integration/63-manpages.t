#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The man pages cred(1), credagentd(8) and libcred(3) render without a
# single warning, with groff's every warning on (groff -t -ww -man -z) and
# as man -l shows them at 80 columns (tables included: a table wider than
# the line is a warning); their NAME lines parse (lexgrog, as mandb reads
# them), their headers say which page and section they are, and `man`
# finds each one once installed.

. "$(dirname "$0")/lib.sh"

for t in groff man lexgrog make; do
	command -v "$t" >/dev/null || bail "$t is installed" "    run: make deps (packages man-db, groff-base)"
done
export LC_ALL=C.UTF-8
MAN=$TOP_DIR/docs/man
pages="cred.1 credagentd.8 libcred.3"

for p in $pages; do
	f=$MAN/$p
	name=${p%.*} sec=${p##*.}
	ok "docs/man/$p exists" test -f "$f"
	# groff itself: every warning (-ww), tables preprocessed (-t).
	run groff -t -ww -man -z "$f"
	is "$RC" 0 "groff -t -ww -man -z $p"
	is "$ERR" "" "... without a warning"
	# man -l: the path a reader takes (preprocessors from the page, the
	# terminal device, 80 columns), with groff's warnings turned on.
	MANWIDTH=80 MAN_KEEP_FORMATTING= run man -l --warnings=w "$f"
	is "$RC" 0 "man -l $p"
	is "$ERR" "" "... without a warning at 80 columns"
	like "$OUT" "NAME" "... and renders a NAME section"
	unlike "$OUT" "(\\\\f[BIRP]|\\\\-|^\\.[A-Z]{2} )" "... with no raw roff left in the text"
	# .TH NAME SECTION, as the file name says.
	th=$(grep -m1 '^\.TH ' "$f" | awk '{ print $2, $3 }')
	is "$th" "${name^^} $sec" "... its .TH says ${name^^} $sec"
	run lexgrog "$f"
	is "$RC" 0 "lexgrog $p (the NAME line mandb indexes)"
	like "$OUT" ": \"$name - " "... names $name"
done

# Installed: man finds each page by name and section.
root=$TEST_DIR/root
mkdir -p "$root/share/man"
for p in $pages; do
	sec=${p##*.}
	mkdir -p "$root/share/man/man$sec"
	cp "$MAN/$p" "$root/share/man/man$sec/"
done
for p in $pages; do
	name=${p%.*} sec=${p##*.}
	MANWIDTH=80 run man -M "$root/share/man" -w "$sec" "$name"
	is "$OUT" "$root/share/man/man$sec/$p" "man -M ... -w $sec $name finds the installed page"
	MANWIDTH=80 run man -M "$root/share/man" --warnings=w "$sec" "$name"
	is "$RC$ERR" 0 "man $sec $name renders it without a warning"
done

# The pages point at each other, and at the units.
like "$(cat "$MAN/credagentd.8")" "credagentd\\.socket" "credagentd(8) names the systemd units"
for p in $pages; do
	for other in cred.1 credagentd.8 libcred.3; do
		[ "$p" = "$other" ] && continue
		like "$(sed -n '/^\.SH SEE ALSO/,$p' "$MAN/$p")" "${other%.*} \\(${other##*.}\\)|\\.BR ${other%.*} \\(${other##*.}\\)" \
			"$p: SEE ALSO ${other%.*}(${other##*.})"
	done
done

done_testing
