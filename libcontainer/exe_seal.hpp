#pragma once
#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

// CVE-2019-5736: a container process must never get a writable handle on the
// rrun binary through /proc/PID/exe: of the init or an `exec` process before
// they exec the program (they are undumpable until then, so nothing in the
// container can open their /proc files), or of the process that execs the
// program, which a "#!/proc/self/exe" program turns into rrun itself.
//
// So when a container process could write the binary (we are root, or the
// binary is ours) and it is not on a read-only mount or a sealed memfd, the
// container's processes exec their program through rrun-exec
// (exec_helper/rrun-exec.c): a few hundred bytes of code that rrun copies
// into a sealed memfd and execs as the last step. /proc/self/exe of the
// process that execs the program is then that sealed copy. It costs one
// execve of a tiny static binary where re-executing all of rrun from a
// read-only image of itself cost several milliseconds (bench/README.md).
//
// An LSM exec label (apparmorProfile, selinuxLabel) applies at the next
// execve, which would be rrun-exec's: for such a process rrun re-executes
// itself from a read-only bind mount of its binary instead (attached nowhere:
// open_tree + mount_setattr), or from a sealed memfd copy where mounting is
// not ours to do, and the process execs its program directly.

// main() passes its argv before any command runs (for that re-execution).
void remember_argv(char** argv);

// For create, run and exec, once the process to run is known and before
// anything is made: the image to exec the program through, or an empty fd
// when none is needed. May re-execute rrun (see above); throws Error when the
// binary cannot be protected.
unique_fd exec_protection(const Process& proc);

}  // namespace rrun
