/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A HiodContainer that talks to no kernel: every map and unmap succeeds at
 * once, so what a benchmark measures through it is hiod's own bookkeeping
 * (the base class's checks and index, the address space's index). */
#pragma once

#include "hiod.h"

G_BEGIN_DECLS

#define BENCH_TYPE_CONTAINER (bench_container_get_type())
G_DECLARE_FINAL_TYPE(BenchContainer, bench_container, BENCH, CONTAINER, HiodContainer)

/* a set-up container (4 KiB pages, no IOVA ranges, no limit) */
HiodContainer *bench_container_new(void);

G_END_DECLS
