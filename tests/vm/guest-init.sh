#!/bin/bash
# PID 1 of the test guest. The guest's root is the host's / (9p, read-only);
# results go to a second, writable 9p share mounted at /mnt. The host writes
# /mnt/plan: one shell command a line, each run with its output kept in
# /mnt/results/N.out and its exit code in /mnt/results/N.rc.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/run/home TMPDIR=/run/tmp LANG=C.UTF-8
say() { echo "hiod-guest: $*" > /dev/console 2>/dev/null || echo "hiod-guest: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/tmp /run/home /dev/pts /dev/shm
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 hiodout /mnt; then
	say "cannot mount the results share"
	echo o > /proc/sysrq-trigger
	sleep 10
fi
mkdir -p /mnt/results
# hostname and uname for the record
uname -a > /mnt/results/uname
# The platform vmrun.py booted (lts, current, lts-qemu11) and its QEMU version,
# for guest programs whose expectation depends on them.
for w in $(cat /proc/cmdline); do
	case "$w" in
	hiod.platform=*) export HIOD_PLATFORM=${w#hiod.platform=} ;;
	hiod.qemu=*) export HIOD_QEMU_VERSION=${w#hiod.qemu=} ;;
	hiod.nvme_image=*) export HIOD_NVME_IMAGE=${w#hiod.nvme_image=} ;;
	hiod.nvme_serial=*) export HIOD_NVME_SERIAL=${w#hiod.nvme_serial=} ;;
	esac
done

# Bind every edu (1234:11e8) and QEMU NVMe controller (1b36:0010) to
# vfio-pci, as an administrator would (the guest kernel has no nvme driver).
for dev in /sys/bus/pci/devices/*; do
	case "$(cat "$dev/vendor"):$(cat "$dev/device")" in
	0x1234:0x11e8 | 0x1b36:0x0010) ;;
	*) continue ;;
	esac
	bdf=$(basename "$dev")
	echo vfio-pci > "$dev/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers_probe
	say "bound $bdf to $(basename "$(readlink "$dev/driver")" 2>/dev/null)"
done

# A vdpa_sim net device for the vDPA tests.
if [ -d /sys/bus/vdpa ] && command -v vdpa > /dev/null; then
	vdpa dev add mgmtdev vdpasim_net name vdpa0 > /mnt/results/vdpa.log 2>&1 ||
		say "vdpa dev add failed: $(cat /mnt/results/vdpa.log)"
fi

if [ -r /mnt/setup.sh ]; then
	bash /mnt/setup.sh > /mnt/results/setup.out 2>&1
fi

n=0
while IFS= read -r cmd || [ -n "$cmd" ]; do
	[ -n "$cmd" ] || continue
	n=$((n + 1))
	say "running $n: $cmd"
	bash -c "$cmd" > "/mnt/results/$n.out" 2>&1 < /dev/null
	echo $? > "/mnt/results/$n.rc"
done < /mnt/plan
sync
say "HIOD-GUEST-DONE $n"
echo o > /proc/sysrq-trigger
sleep 30
