/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the libFuzzer harnesses: a reader over the fuzz input, and the
 * fake kernel (tests/unit/hiod-test-common) answering chosen ioctls from it. */
#pragma once

#include "hiod-test-common.h"

G_BEGIN_DECLS

typedef struct {
	const guint8 *data;
	gsize len;
	gsize pos;
} FuzzInput;

guint8 fuzz_u8(FuzzInput *in);
guint32 fuzz_u32(FuzzInput *in);
guint64 fuzz_u64(FuzzInput *in);
/* The next @want bytes (fewer at the end); *@got says how many. */
const guint8 *fuzz_bytes(FuzzInput *in, gsize want, gsize *got);
/* A NUL-terminated string of at most @max bytes (up to the next NUL). */
gchar *fuzz_string(FuzzInput *in, gsize max);

/* Makes warnings and criticals fatal, quiets debug output: once, from LLVMFuzzerInitialize. */
void fuzz_init(void);

/* A kernel whose replies come from the fuzz input. For each ioctl of @kind and
 * @request that fuzz_kernel_fuzzes(), one record is read:
 *   u8 ctl: bit 0 rewrite the reply, bit 1 fail, bits 2..7 the errno (from a table)
 *   u16 len, then len bytes written over the reply (at most the buffer's size)
 *   and, for replies with a second buffer (IOMMU_IOAS_IOVA_RANGES' ranges,
 *   IOMMU_GET_HW_INFO's data), a second record (u16 len, bytes) for it.
 * Every other ioctl, and every one once the input ends, gets the default answer. */
typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *k;
	FuzzInput in;
} FuzzKernel;

void fuzz_kernel_init(FuzzKernel *fk, const guint8 *data, gsize len, gboolean spapr);
/* Checks that nothing is left open in the fake kernel (aborts otherwise) and frees it. */
void fuzz_kernel_finish(FuzzKernel *fk);

G_END_DECLS

G_BEGIN_DECLS
/* Uses a set-up container the way a VMM does (the host IOMMU device's JSON,
 * IOVA ranges, a map, dirty tracking, an unmap, a hot reset of @device when
 * not NULL); every step may fail, none may crash or leave anything behind. */
void fuzz_exercise_container(HiodContainer *c, HiodVfioDevice *device, HiodHostIommuDevice *hiod);
/* Attaches 0000:00:04.0 through @kind, exercises it, detaches. */
void fuzz_vfio_device_run(FuzzKernel *fk, HiodBackendKind kind);
G_END_DECLS
