/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest test programs share: a GTest fixture with a hiod context
 * that checks, at teardown, that the test left no fd behind; a skip for a
 * device the topology does not have; an anonymous DMA buffer.
 */
#pragma once

#include "hiod.h"

G_BEGIN_DECLS

typedef struct {
	HiodContext *ctx;
	guint fds_at_start; /* the context's open fds when the test began */
} VmFixture;

/* g_test_add() setup and teardown: a fresh context; at teardown its fd count
 * must be what it was at setup. */
void vm_fixture_setup(VmFixture *f, gconstpointer data);
void vm_fixture_teardown(VmFixture *f, gconstpointer data);
/* TRUE if the PCI device @bdf exists; else skips the test (saying so) and
 * returns FALSE. */
gboolean vm_have_device(const gchar *bdf);
/* @len bytes of anonymous private memory filled with @fill (munmap() it). */
guint8 *vm_buffer_new(gsize len, guint8 fill);
/* edu DMA RAM -> device -> RAM through @c (IOVAs 0x100000 and 0x200000, the
 * largest transfer), asserting success. */
void vm_edu_round_trip(HiodVfioDevice *d, HiodContainer *c);

G_END_DECLS
