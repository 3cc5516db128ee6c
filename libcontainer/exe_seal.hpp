#pragma once

namespace rrun {

// CVE-2019-5736: a container process must never get a writable handle on the
// rrun binary through /proc/PID/exe (of the init before it execs the program,
// of an `exec` process, or of itself after a "#!/proc/self/exe" trick). The
// commands that put rrun into a container call this first: when a container
// process could write the binary (we are root, or the binary is ours) and it
// is not already on a read-only mount or a sealed memfd, rrun re-executes
// itself from a read-only bind mount of the binary that is attached nowhere
// (open_tree + mount_setattr: no copy, no mount namespace, page cache shared),
// or, where that is not allowed, from a sealed memfd copy. Returns when the
// running image is safe; throws Error when it cannot be made so.
void protect_own_binary(char** argv);

}  // namespace rrun
