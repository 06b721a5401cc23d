/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* the header checks are in the generated units: linking them is the test */
int main(void);
int
main(void)
{
	return 0;
}
