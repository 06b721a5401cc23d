/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI addresses ("0000:00:04.0", "00:04.0", ...): hiod_pci_address_normalize()
 * and the topology lookups that parse them. A normalized address must
 * normalize to itself. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t len)
{
	g_autofree gchar *s = g_strndup((const gchar *)data, len);
	g_autofree gchar *norm = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodPciTopology) topo = hiod_pci_topology_new();
	HiodPciRid rid;

	if (hiod_pci_address_normalize(s, &norm, &error)) {
		g_autofree gchar *again = NULL;
		if (norm == NULL || !hiod_pci_address_normalize(norm, &again, NULL) ||
		    strcmp(norm, again) != 0)
			abort();
	} else if (error == NULL) {
		abort(); /* a refusal says why */
	}
	hiod_pci_topology_add_root_bus(topo, 0, 0, TRUE, NULL);
	if (hiod_pci_topology_add_device(topo, s, NULL))
		hiod_pci_topology_lookup(topo, s, &rid, NULL, NULL);
	hiod_pci_topology_has_device(topo, s);
	return 0;
}
