#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The installed library as a user meets it: installs BUILD_DIR into a scratch
# prefix (meson install --destdir), then compiles and links a program that
# includes <hiod.h> through pkg-config and runs it against the installed
# library. Each build of the option matrix runs it (a backend that is off has
# no headers installed, and hiod.h must not ask for them).
#   check-install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }
meson install -C "$build" --no-rebuild --quiet --destdir "$scratch/root" > "$scratch/install.log" 2>&1 ||
  { tail -20 "$scratch/install.log" >&2; fail "meson install failed"; }
pc=$(find "$scratch/root" -name hiod.pc | head -1)
[ -n "$pc" ] || fail "no hiod.pc installed"
# hiod.pc as installed, with its prefix moved under the scratch root
mkdir -p "$scratch/pc"
sed -e "s|^prefix=|prefix=$scratch/root|" "$pc" > "$scratch/pc/hiod.pc"
export PKG_CONFIG_PATH="$scratch/pc"
cflags=$(pkg-config --cflags hiod) || fail "pkg-config --cflags hiod failed"
libs=$(pkg-config --libs hiod) || fail "pkg-config --libs hiod failed"
libdir=$(pkg-config --variable=libdir hiod)
cat > "$scratch/user.c" <<'C'
#include <stdio.h>
#include <hiod.h>

int
main(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	printf("installed hiod: legacy %d, spapr %d, iommufd %d, vdpa %d\n",
	       HIOD_FEATURE_LEGACY_VFIO, HIOD_FEATURE_SPAPR, HIOD_FEATURE_IOMMUFD, HIOD_FEATURE_VDPA);
#if HIOD_FEATURE_LEGACY_VFIO
	(void)hiod_legacy_container_get_type();
#endif
#if HIOD_FEATURE_IOMMUFD
	(void)hiod_iommufd_container_get_type();
#endif
#if HIOD_FEATURE_VDPA
	(void)hiod_vdpa_container_get_type();
#endif
#if HIOD_FEATURE_SPAPR
	(void)hiod_spapr_container_get_type();
#endif
	return ctx != NULL ? 0 : 1;
}
C
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Werror -o "$scratch/user" "$scratch/user.c" $cflags $libs 2> "$scratch/cc.log" ||
  { cat "$scratch/cc.log" >&2; fail "a program including the installed <hiod.h> does not build"; }
LD_LIBRARY_PATH="$libdir" "$scratch/user" || fail "the program did not run against the installed library"
