/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HIOD_HOT marks the functions of the map and unmap paths. GCC puts them in
 * .text.hot, which the linker lays out side by side: a map touches a few
 * code pages instead of one per source file (fewer TLB and cache misses
 * between two kernel calls; bench/bench-dma.c measures the map path). */
#pragma once

#if defined(__GNUC__)
#define HIOD_HOT __attribute__((hot))
#else
#define HIOD_HOT
#endif
