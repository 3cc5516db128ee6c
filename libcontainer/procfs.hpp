#pragma once
// Writes to procfs files through a handle no mount can redirect (issue #22,
// runc's CVE-2025-52565/52881 class): a file bound over another one's path
// (a config mount, or one a racing container propagates through a shared
// volume) passes "no symlink" and "is procfs" checks, so the opens go from
// the root of a procfs instance with RESOLVE_NO_XDEV and are checked to be
// on that very mount.
#include <sys/types.h>
#include <string_view>

namespace rrun {

// Child side (between clone and exec; no allocation). Makes this process's
// handle once: a private procfs instance (fsopen + fsmount: no mounts on it,
// no peers to propagate into it), or where the kernel refuses one (a pid
// namespace we hold no CAP_SYS_ADMIN over; in a user namespace, a /proc with
// masks over it) the root of the current /proc, checked to be a procfs root.
// Call it before the container's mounts exist. 0, or -1 with errno.
int proc_handle_init();
// Opens REL below the handle's root ("sys/net/ipv4/ip_forward"; a leading
// "self/" names this process's directory in the instance) with
// RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
// checked to be procfs on the handle's mount (EXDEV otherwise). Makes the
// handle first if there is none. -1 and errno on failure.
int proc_open(const char* rel, int flags);
// Closes the handle (before the program is exec'd it is close-on-exec anyway).
void proc_handle_close();

// Parent side: writes DATA to /proc/PID/NAME of the host's /proc (its root
// checked, the same resolve flags and mount check); throws naming the file.
void write_proc_file(pid_t pid, const char* name, std::string_view data);

}  // namespace rrun
