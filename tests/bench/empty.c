/* SPDX-License-Identifier: MIT */
/* The floor of a whole process: a statically linked program that does
 * nothing (no dynamic loader, no library to map). make bench times it
 * beside /bin/true and cred get. */
int
main(void)
{
	return 0;
}
