#!/bin/bash
# Issue #17: podman with its default configuration (cgroup_manager = "systemd")
# on rrun, as root: --memory, --pids-limit and --cpus seen inside, the scope
# libpod-ID.scope a delegated unit in machine.slice, the limits surviving a
# daemon-reload, nothing left after rm.
source "$(dirname "$0")/lib.sh"
need_root

check_podman_systemd podman /sys/fs/cgroup/machine.slice systemctl
finish
