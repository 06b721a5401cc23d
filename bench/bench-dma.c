/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DMA mapping through hiod against the kernel's own speed (a guest program:
 * bench/run-vm.sh boots the test VM and runs it there).
 *
 * For each backend (type1, iommufd) one edu device is attached through a
 * HiodAddressSpace with one member container. Three paths then map N
 * mappings at distinct IOVAs (each its own host memory) and unmap them one
 * by one, in the same container:
 *   raw        the ioctls in a plain loop on the container's own fd (the
 *              baseline: a benchmark may issue them itself, the library may not)
 *   container  hiod_container_dma_map() / hiod_container_dma_unmap()
 *   space      hiod_address_space_add_section() / _remove_section()
 * taking turns at every mapping, each operation timed alone, over several
 * rounds; a path's cost in a round is the median of its operations (so that
 * the stalls of a shared host under TCG, milliseconds at random, drop out).
 * Printed: the raw median per operation and each ratio hiod/raw, as the
 * median [min-max] over the rounds. --aa makes every path raw: the ratios
 * then show what the method itself can tell apart.
 * Then: 2 MiB mappings backed by hugetlbfs, one guest-sized region (4 KiB and
 * 2 MiB pages) with its pinning rate, and the per-operation cost of hiod's
 * own bookkeeping with a container that talks to no kernel (also on the host:
 * --bookkeeping-only).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "bench-container.h"

#define PAGE 0x1000ull
#define HUGE (2ull << 20)
#define IOVA_BASE (4ull << 30) /* above the 32-bit MSI window */

static gchar *opt_device = (gchar *)"0000:00:04.0";
static gchar *opt_backends = (gchar *)"legacy,iommufd";
static gchar *opt_sizes = (gchar *)"1024,16384,65536";
static gchar *opt_book_sizes = (gchar *)"1024,65536,1048576";
static gint opt_rounds = 5;
static gint opt_huge = 128;
static gint opt_large_mib = 1024;
static gboolean opt_book_only;
static gboolean opt_tap;
static gboolean opt_aa;

static GOptionEntry entries[] = {
    {"device", 'd', 0, G_OPTION_ARG_STRING, &opt_device, "the edu device (PCI address)", "BDF"},
    {"backends", 'b', 0, G_OPTION_ARG_STRING, &opt_backends, "legacy,iommufd", "LIST"},
    {"sizes", 's', 0, G_OPTION_ARG_STRING, &opt_sizes, "numbers of 4 KiB mappings", "N,N,..."},
    {"rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "rounds per size (default 5)", "R"},
    {"huge", 0, 0, G_OPTION_ARG_INT, &opt_huge, "number of 2 MiB mappings (0: none)", "N"},
    {"large", 0, 0, G_OPTION_ARG_INT, &opt_large_mib, "guest-sized region in MiB (0: none)", "MIB"},
    {"bookkeeping", 0, 0, G_OPTION_ARG_STRING, &opt_book_sizes, "no-kernel sizes", "N,N,..."},
    {"bookkeeping-only", 0, 0, G_OPTION_ARG_NONE, &opt_book_only, "only the no-kernel part (host)", NULL},
    {"tap", 0, 0, G_OPTION_ARG_NONE, &opt_tap, "TAP output (the VM lane's smoke test)", NULL},
    {"aa", 0, 0, G_OPTION_ARG_NONE, &opt_aa, "A/A check: every path issues the raw ioctls (ratios near 1)", NULL},
    {NULL},
};

static guint tap_n;
static gboolean tap_failed;

static void G_GNUC_PRINTF(1, 2)
out(const gchar *fmt, ...)
{
	va_list ap;
	g_autofree gchar *s = NULL;
	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (opt_tap) {
		g_auto(GStrv) lines = g_strsplit(s, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++)
			if (lines[i][0] != '\0' || lines[i + 1] != NULL)
				printf("# %s\n", lines[i]);
	} else {
		fputs(s, stdout);
	}
	fflush(stdout);
}

static void
tap_result(gboolean ok, const gchar *what)
{
	tap_n++;
	if (!ok)
		tap_failed = TRUE;
	if (opt_tap)
		printf("%s %u - %s\n", ok ? "ok" : "not ok", tap_n, what);
	else if (!ok)
		fprintf(stderr, "FAILED: %s\n", what);
	fflush(stdout);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median [min-max] of @n values, @prec decimals (sorts them) */
static gchar *
spread(double *v, guint n, gint prec)
{
	double med;
	qsort(v, n, sizeof(double), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return g_strdup_printf("%.*f [%.*f-%.*f]", prec, med, prec, v[0], prec, v[n - 1]);
}

static guint *
parse_sizes(const gchar *s, guint *n)
{
	g_auto(GStrv) parts = g_strsplit(s, ",", -1);
	guint *v = g_new0(guint, g_strv_length(parts) + 1);
	*n = 0;
	for (guint i = 0; parts[i] != NULL; i++) {
		guint64 x = g_ascii_strtoull(parts[i], NULL, 10);
		if (x > 0 && x <= G_MAXUINT) /* "" and 0: none (--bookkeeping 0 skips that part) */
			v[(*n)++] = (guint)x;
	}
	return v;
}

/* the target: one device in one container of one space ------------------------- */

typedef enum { PATH_RAW, PATH_CONTAINER, PATH_SPACE, N_PATHS } BenchPath;
static const gchar *path_names[N_PATHS] = {"raw", "container", "space"};

typedef struct {
	const gchar *name;
	HiodBackendKind kind;
	HiodContext *ctx;
	HiodAddressSpace *as;
	HiodVfioDevice *dev;
	HiodContainer *c;
	gint fd;	/* the container's kernel fd (type1 container or iommufd) */
	guint32 ioas; /* iommufd */
} Target;

static gboolean
target_open(Target *t, HiodBackendKind kind, GError **error)
{
	t->kind = kind;
	t->name = kind == HIOD_BACKEND_KIND_LEGACY ? "type1" : "iommufd";
	t->ctx = hiod_context_new();
	t->as = hiod_address_space_new(t->ctx);
	t->dev = hiod_vfio_device_new(t->ctx, opt_device, error);
	if (t->dev == NULL)
		return FALSE;
	t->c = hiod_address_space_attach_device(t->as, t->dev, kind, 0, error);
	if (t->c == NULL)
		return FALSE;
	if (kind == HIOD_BACKEND_KIND_LEGACY) {
		t->fd = hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(t->c));
	} else {
		HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(t->c);
		t->fd = hiod_iommufd_backend_get_fd(hiod_iommufd_container_get_backend(ic));
		t->ioas = hiod_iommufd_container_get_ioas_id(ic);
	}
	return TRUE;
}

static void
target_close(Target *t)
{
	if (t->dev != NULL)
		hiod_address_space_detach_device(t->as, t->dev);
	g_clear_object(&t->dev);
	g_clear_object(&t->as);
	g_clear_object(&t->ctx);
}

static gboolean
raw_map(Target *t, guint64 iova, guint64 size, gpointer vaddr)
{
	if (t->kind == HIOD_BACKEND_KIND_LEGACY) {
		struct hiod_vfio_iommu_type1_dma_map m = {
		    .argsz = sizeof(m),
		    .flags = HIOD_VFIO_DMA_MAP_FLAG_READ | HIOD_VFIO_DMA_MAP_FLAG_WRITE,
		    .vaddr = GPOINTER_TO_SIZE(vaddr),
		    .iova = iova,
		    .size = size,
		};
		return ioctl(t->fd, HIOD_VFIO_IOMMU_MAP_DMA, &m) == 0;
	} else {
		struct hiod_iommu_ioas_map m = {
		    .size = sizeof(m),
		    .flags = HIOD_IOMMU_IOAS_MAP_FIXED_IOVA | HIOD_IOMMU_IOAS_MAP_READABLE |
			     HIOD_IOMMU_IOAS_MAP_WRITEABLE,
		    .ioas_id = t->ioas,
		    .user_va = GPOINTER_TO_SIZE(vaddr),
		    .length = size,
		    .iova = iova,
		};
		return ioctl(t->fd, HIOD_IOMMU_IOAS_MAP, &m) == 0;
	}
}

static gboolean
raw_unmap(Target *t, guint64 iova, guint64 size)
{
	if (t->kind == HIOD_BACKEND_KIND_LEGACY) {
		struct hiod_vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = size};
		return ioctl(t->fd, HIOD_VFIO_IOMMU_UNMAP_DMA, &u) == 0;
	} else {
		struct hiod_iommu_ioas_unmap u = {.size = sizeof(u), .ioas_id = t->ioas, .iova = iova, .length = size};
		return ioctl(t->fd, HIOD_IOMMU_IOAS_UNMAP, &u) == 0;
	}
}

static gboolean
path_map(Target *t, BenchPath p, guint64 iova, guint64 size, gpointer vaddr, GError **error)
{
	switch (opt_aa ? PATH_RAW : p) {
	case PATH_RAW:
		if (raw_map(t, iova, size, vaddr))
			return TRUE;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "raw map: %s", g_strerror(errno));
		return FALSE;
	case PATH_CONTAINER:
		return hiod_container_dma_map(t->c, iova, size, vaddr, 0, error);
	default:
		return hiod_address_space_add_section(t->as, iova, size, vaddr, 0, error);
	}
}

static gboolean
path_unmap(Target *t, BenchPath p, guint64 iova, guint64 size, GError **error)
{
	switch (opt_aa ? PATH_RAW : p) {
	case PATH_RAW:
		if (raw_unmap(t, iova, size))
			return TRUE;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "raw unmap: %s", g_strerror(errno));
		return FALSE;
	case PATH_CONTAINER:
		return hiod_container_dma_unmap(t->c, iova, size, error);
	default:
		return hiod_address_space_remove_section(t->as, iova, size, error);
	}
}

/* The IOVA of mapping @i of path @p: each path has its own stretch. */
static guint64
path_iova(BenchPath p, guint n, guint64 size, guint i)
{
	return IOVA_BASE + ((guint64)p * n + i) * size;
}

static double
median(double *v, guint n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round: @n mappings of @size per path (host memory side by side, the
 * same pages for every path), mapped then unmapped. The paths take turns at
 * every mapping (the first of each turn rotating) and each operation is
 * timed alone: the median of a path's operations is its cost. A shared host
 * under TCG stalls the guest for milliseconds at random; a median over
 * interleaved operations does not see those stalls, a sum over a loop does.
 * Median seconds per operation in @t_map[p], @t_unmap[p]. */
static gboolean
round_interleaved(Target *t, guint n_paths, guint n, guint64 size, guint8 *buf, guint round,
		  double *t_map, double *t_unmap, GError **error)
{
	g_autofree double *d = g_new(double, (gsize)N_PATHS * n);
	guint64 calls[N_PATHS] = {0};

	for (guint phase = 0; phase < 2; phase++) {
		for (guint i = 0; i < n; i++) {
			for (guint j = 0; j < n_paths; j++) {
				BenchPath p = (j + i + round) % n_paths;
				guint64 calls0 = hiod_context_get_call_count(t->ctx);
				double t0 = now();
				gboolean ok = phase == 0
					? path_map(t, p, path_iova(p, n, size, i), size, buf + i * size, error)
					: path_unmap(t, p, path_iova(p, n, size, i), size, error);
				d[(gsize)p * n + i] = now() - t0;
				calls[p] += hiod_context_get_call_count(t->ctx) - calls0;
				if (!ok) {
					g_prefix_error(error, "%s %s, mapping %u of %u: ", path_names[p],
						       phase == 0 ? "map" : "unmap", i, n);
					return FALSE;
				}
			}
		}
		for (guint p = 0; p < n_paths; p++)
			(phase == 0 ? t_map : t_unmap)[p] = median(&d[(gsize)p * n], n);
	}
	if (hiod_container_get_n_mappings(t->c) != 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE, "mappings left after a round");
		return FALSE;
	}
	/* hiod asks the kernel once per map and once per unmap, as the raw loop does */
	for (guint p = PATH_CONTAINER; p < n_paths && !opt_aa; p++)
		if (calls[p] != 2ull * n) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the %s path made %" G_GUINT64_FORMAT " kernel calls for %u maps and unmaps",
				    path_names[p], calls[p], 2 * n);
			return FALSE;
		}
	return TRUE;
}

/* the three paths over the rounds; prints two rows (map, unmap) */
static gboolean
compare(Target *t, const gchar *label, guint n, guint64 size, guint8 *buf, GError **error)
{
	guint rounds = (guint)MAX(opt_rounds, 1);
	g_autofree double *tm = g_new0(double, rounds * N_PATHS);
	g_autofree double *tu = g_new0(double, rounds * N_PATHS);
	g_autofree double *r = g_new0(double, rounds);
	g_autofree gchar *raw_m = NULL, *raw_u = NULL;
	gchar *cols[4];

	for (guint k = 0; k < rounds; k++)
		if (!round_interleaved(t, N_PATHS, n, size, buf, k, &tm[k * N_PATHS], &tu[k * N_PATHS],
				       error)) {
			g_prefix_error(error, "%s, %u mappings, round %u: ", t->name, n, k + 1);
			return FALSE;
		}
	for (guint k = 0; k < rounds; k++)
		r[k] = tm[k * N_PATHS] * 1e6;
	raw_m = spread(r, rounds, 2);
	for (guint k = 0; k < rounds; k++)
		r[k] = tu[k * N_PATHS] * 1e6;
	raw_u = spread(r, rounds, 2);
	for (guint q = 0; q < 4; q++) {
		double *src = q < 2 ? tm : tu;
		BenchPath p = q % 2 ? PATH_SPACE : PATH_CONTAINER;
		for (guint k = 0; k < rounds; k++)
			r[k] = src[k * N_PATHS + p] / src[k * N_PATHS + PATH_RAW];
		cols[q] = spread(r, rounds, 3);
	}
	out("  %-9s map %-20s container %-20s space %-20s\n", label, raw_m, cols[0], cols[1]);
	out("  %-9s unm %-20s container %-20s space %-20s\n", "", raw_u, cols[2], cols[3]);
	for (guint q = 0; q < 4; q++)
		g_free(cols[q]);
	return TRUE;
}

static guint8 *
alloc_pages(guint64 len, gboolean huge)
{
	guint8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | (huge ? MAP_HUGETLB : 0), -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (guint64 o = 0; o < len; o += PAGE)
		p[o] = 1; /* touched: the pin finds it present */
	return p;
}

/* Reserves @n 2 MiB huge pages (root): returns how many are free. */
static guint
reserve_huge(guint n)
{
	g_autofree gchar *txt = NULL;
	guint64 have = 0, free_pages = 0;
	g_autofree gchar *want = NULL;
	if (!g_file_get_contents("/proc/sys/vm/nr_hugepages", &txt, NULL, NULL)) {
		out("  hugetlbfs: /proc/sys/vm/nr_hugepages is missing (kernel without CONFIG_HUGETLBFS)\n");
		return 0;
	}
	have = g_ascii_strtoull(txt, NULL, 10);
	if (have < n) {
		/* (not g_file_set_contents(): it writes a new file and renames it) */
		FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
		gboolean ok;
		want = g_strdup_printf("%u", n);
		ok = f != NULL && fputs(want, f) >= 0;
		if (f != NULL && fclose(f) != 0)
			ok = FALSE;
		if (!ok)
			out("hugetlbfs: cannot raise /proc/sys/vm/nr_hugepages to %u: %s\n", n,
			    g_strerror(errno));
	}
	g_clear_pointer(&txt, g_free);
	if (g_file_get_contents("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", &txt,
				NULL, NULL))
		free_pages = g_ascii_strtoull(txt, NULL, 10);
	return (guint)free_pages;
}

/* one guest-sized mapping: the time and pinning rate of raw and container */
static gboolean
large(Target *t, guint8 *buf, guint64 len, const gchar *pages, GError **error)
{
	guint rounds = (guint)MAX(opt_rounds, 1);
	g_autofree double *tm = g_new0(double, rounds * 2);
	g_autofree double *tu = g_new0(double, rounds * 2);
	g_autofree double *r = g_new0(double, rounds);
	g_autofree gchar *raw = NULL, *rate = NULL, *ratio = NULL, *uratio = NULL;

	for (guint k = 0; k < rounds; k++)
		for (guint j = 0; j < 2; j++) {
			BenchPath p = (j + k) % 2 ? PATH_CONTAINER : PATH_RAW;
			guint s = p == PATH_RAW ? 0 : 1;
			double t0 = now();
			if (!path_map(t, p, IOVA_BASE, len, buf, error))
				return FALSE;
			tm[k * 2 + s] = now() - t0;
			t0 = now();
			if (!path_unmap(t, p, IOVA_BASE, len, error))
				return FALSE;
			tu[k * 2 + s] = now() - t0;
		}
	for (guint k = 0; k < rounds; k++)
		r[k] = tm[k * 2] * 1e3;
	raw = spread(r, rounds, 1);
	for (guint k = 0; k < rounds; k++)
		r[k] = len / tm[k * 2] / (1 << 30);
	rate = spread(r, rounds, 2);
	for (guint k = 0; k < rounds; k++)
		r[k] = tm[k * 2 + 1] / tm[k * 2];
	ratio = spread(r, rounds, 3);
	for (guint k = 0; k < rounds; k++)
		r[k] = tu[k * 2 + 1] / tu[k * 2];
	uratio = spread(r, rounds, 3);
	out("  %" G_GUINT64_FORMAT " MiB, %s pages: raw map %s ms (%s GiB/s pinned); "
	    "container/raw map %s, unmap %s\n",
	    len >> 20, pages, raw, rate, ratio, uratio);
	return TRUE;
}

/* iommufd's IOMMU_OPTION_HUGE_PAGES on the IOAS (Linux 6.2+; the kernel's
 * default), through hiod's option: every path maps into this IOAS */
static void
iommufd_huge_pages(Target *t)
{
	g_autoptr(GError) error = NULL;
	if (hiod_iommufd_container_set_huge_pages(HIOD_IOMMUFD_CONTAINER(t->c), TRUE, &error))
		out("  iommufd IOMMU_OPTION_HUGE_PAGES: on\n");
	else
		out("  iommufd IOMMU_OPTION_HUGE_PAGES: not offered (%s)\n", error->message);
}

static gboolean
bench_backend(HiodBackendKind kind, guint *sizes, guint n_sizes, guint8 *buf4k, guint8 *buf2m,
	      guint n_huge, guint huge_pages, GError **error)
{
	Target t = {0};
	gboolean ok = FALSE;
	guint max;

	if (!target_open(&t, kind, error))
		goto out;
	max = hiod_container_get_max_mappings(t.c);
	out("%s (%s), %d rounds: per operation, raw µs and hiod/raw, median [min-max]\n", t.name,
	    G_OBJECT_TYPE_NAME(t.c), MAX(opt_rounds, 1));
	if (kind == HIOD_BACKEND_KIND_IOMMUFD)
		iommufd_huge_pages(&t);
	for (guint i = 0; i < n_sizes; i++) {
		g_autofree gchar *label = g_strdup_printf("%ux4K", sizes[i]);
		if (max > 0 && (guint64)sizes[i] * N_PATHS > max) {
			out("  %-9s skipped: the container allows %u mappings (type1: boot with "
			    "vfio_iommu_type1.dma_entry_limit=%u or more)\n",
			    label, max, sizes[i] * N_PATHS);
			continue;
		}
		if (!compare(&t, label, sizes[i], PAGE, buf4k, error))
			goto out;
	}
	if (buf2m != NULL && n_huge > 0) {
		g_autofree gchar *label = g_strdup_printf("%ux2M", n_huge);
		if (!compare(&t, label, n_huge, HUGE, buf2m, error))
			goto out;
	}
	if (opt_large_mib > 0) {
		guint64 len = (guint64)opt_large_mib << 20;
		g_autofree guint8 *unused = NULL;
		guint8 *big = alloc_pages(len, FALSE);
		if (big == NULL) {
			out("  large region: cannot allocate %d MiB\n", opt_large_mib);
		} else {
			gboolean l = large(&t, big, len, "4 KiB", error);
			munmap(big, len);
			if (!l)
				goto out;
		}
		if (buf2m != NULL && (guint64)huge_pages * HUGE >= len && !large(&t, buf2m, len, "2 MiB", error))
			goto out;
	}
	ok = TRUE;
out:
	target_close(&t);
	return ok;
}

/* hiod's own work: a container that talks to no kernel ------------------------------ */

static int
noop_ioctl(gpointer data, int fd, unsigned long request, void *arg)
{
	return 0;
}

/* the median of @n timed calls of @op (ns), each after getppid() when @after_syscall */
#define TIMED(d, n, after_syscall, op)                                                            \
	({                                                                                         \
		for (guint k = 0; k < (n); k++) {                                                  \
			double _t0;                                                                \
			if (after_syscall)                                                         \
				(void)getppid();                                                   \
			_t0 = now();                                                               \
			op;                                                                        \
			(d)[k] = now() - _t0;                                                      \
		}                                                                                  \
		median((d), (n)) * 1e9;                                                            \
	})

static void
bookkeeping(guint *sizes, guint n_sizes)
{
	static HiodKernelOps ops = {.ioctl = noop_ioctl};
	g_autoptr(HiodContext) ctx = hiod_context_new();
	guint8 page[PAGE] __attribute__((aligned(4096)));
	const guint calls = 200000;
	g_autofree double *d = NULL;
	guint most = calls;
	double timer, ns, ns_sys;

	for (guint i = 0; i < n_sizes; i++)
		most = MAX(most, sizes[i]);
	d = g_new(double, most);
	timer = TIMED(d, calls, FALSE, (void)0);
	out("hiod's own bookkeeping, no kernel: median ns per operation (the timer's own %.0f ns "
	    "included), 1 member container;\n  +sys: the same right after a system call, as a real "
	    "map follows one (caches and TLB no longer warm)\n",
	    timer);
	out("  %-9s %9s %9s %9s %9s %9s %9s %9s\n", "mappings", "c.map", "c.map+sys", "c.unmap",
	    "as.add", "as.add+sys", "as.remove", "as.lookup");
	for (guint i = 0; i < n_sizes; i++) {
		guint n = sizes[i];
		g_autoptr(HiodContainer) c = bench_container_new();
		g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
		double cm, cms, cu, aa, aas, ar, al;

		cm = TIMED(d, n, FALSE, hiod_container_dma_map(c, IOVA_BASE + k * PAGE, PAGE, page, 0, NULL));
		cu = TIMED(d, n, FALSE, hiod_container_dma_unmap(c, IOVA_BASE + k * PAGE, PAGE, NULL));
		cms = TIMED(d, n, TRUE, hiod_container_dma_map(c, IOVA_BASE + k * PAGE, PAGE, page, 0, NULL));
		(void)TIMED(d, n, FALSE, hiod_container_dma_unmap(c, IOVA_BASE + k * PAGE, PAGE, NULL));
		if (hiod_container_get_n_mappings(c) != 0 || !hiod_address_space_add_container(as, c, NULL))
			g_error("bench container");
		aa = TIMED(d, n, FALSE, hiod_address_space_add_section(as, IOVA_BASE + k * PAGE, PAGE, page, 0, NULL));
		al = TIMED(d, MIN(n, calls), FALSE,
			   hiod_address_space_lookup(as, IOVA_BASE + (guint64)((k * 2654435761u) % n) * PAGE + 8,
						     NULL, NULL, NULL, NULL));
		ar = TIMED(d, n, FALSE, hiod_address_space_remove_section(as, IOVA_BASE + k * PAGE, PAGE, NULL));
		aas = TIMED(d, n, TRUE, hiod_address_space_add_section(as, IOVA_BASE + k * PAGE, PAGE, page, 0, NULL));
		(void)TIMED(d, n, FALSE, hiod_address_space_remove_section(as, IOVA_BASE + k * PAGE, PAGE, NULL));
		if (hiod_container_get_n_mappings(c) != 0 || hiod_address_space_get_n_sections(as) != 0)
			g_error("bookkeeping left mappings");
		out("  %-9u %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f\n", n, cm, cms, cu, aa, aas, ar, al);
		hiod_address_space_remove_container(as, c);
	}
	/* the kernel chokepoint's own cost: hiod_kernel_ioctl() into a kernel that does nothing */
	hiod_context_set_kernel_ops(ctx, &ops, NULL);
	ns = TIMED(d, calls, FALSE, ({
			   struct hiod_vfio_iommu_type1_dma_map m = {0};
			   (void)hiod_kernel_ioctl(ctx, 3, HIOD_IOC(VFIO_IOMMU_MAP_DMA), &m, sizeof(m), NULL);
		   }));
	ns_sys = TIMED(d, calls, TRUE, ({
			       struct hiod_vfio_iommu_type1_dma_map m = {0};
			       (void)hiod_kernel_ioctl(ctx, 3, HIOD_IOC(VFIO_IOMMU_MAP_DMA), &m, sizeof(m), NULL);
		       }));
	out("  the kernel chokepoint (hiod_kernel_ioctl into a no-op kernel): %.0f ns a call, %.0f ns "
	    "after a system call\n", ns, ns_sys);
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) oc = g_option_context_new("- DMA mapping: hiod against the raw ioctls");
	g_autoptr(GError) error = NULL;
	g_autofree guint *sizes = NULL, *book = NULL;
	guint n_sizes, n_book, n_huge = 0, max_n = 0, huge_pages = 0;
	guint8 *buf4k = NULL, *buf2m = NULL;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "%s\n", error->message);
		return 2;
	}
	sizes = parse_sizes(opt_sizes, &n_sizes);
	book = parse_sizes(opt_book_sizes, &n_book);
	if (opt_tap)
		printf("TAP version 13\n");

	if (!opt_book_only) {
		g_auto(GStrv) backends = g_strsplit(opt_backends, ",", -1);
		for (guint i = 0; i < n_sizes; i++)
			max_n = MAX(max_n, sizes[i]);
		buf4k = alloc_pages((guint64)MAX(max_n, 1) * PAGE, FALSE);
		if (buf4k == NULL)
			g_error("cannot allocate %u pages", max_n);
		if (opt_huge > 0) {
			guint want = MAX((guint)opt_huge, (guint)(((guint64)opt_large_mib << 20) / HUGE));
			guint got = reserve_huge(want);
			n_huge = MIN((guint)opt_huge, got);
			if (got > 0)
				buf2m = alloc_pages((guint64)got * HUGE, TRUE);
			if (buf2m != NULL)
				huge_pages = got;
			if (buf2m == NULL) {
				out("hugetlbfs: no 2 MiB pages (%u free): 2 MiB rows skipped\n", got);
				n_huge = 0;
			} else if (got < want) {
				out("hugetlbfs: %u of %u 2 MiB pages reserved\n", got, want);
			}
			if (buf2m != NULL && (guint64)got * HUGE < ((guint64)opt_large_mib << 20))
				out("hugetlbfs: too few 2 MiB pages for the large region with 2 MiB pages\n");
		}
		for (guint i = 0; backends[i] != NULL; i++) {
			HiodBackendKind kind;
			g_autoptr(GError) local = NULL;
			g_autofree gchar *what = g_strdup_printf("%s: raw, container and space paths",
								 backends[i]);
			if (!hiod_backend_kind_from_string(backends[i], &kind, &local)) {
				fprintf(stderr, "%s\n", local->message);
				return 2;
			}
			if (!bench_backend(kind, sizes, n_sizes, buf4k, buf2m, n_huge, huge_pages, &local))
				out("%s: %s\n", backends[i], local->message);
			tap_result(local == NULL, what);
		}
	}
	bookkeeping(book, n_book);
	tap_result(TRUE, "bookkeeping");
	if (opt_tap)
		printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}
