#pragma once
#include <sys/types.h>
#include <cstddef>

namespace rrun {

// The home directory of UID in the passwd file at PATH, as runc's
// GetExecUserPath finds it for a numeric user: the first entry with that uid,
// "/" when there is none or the file cannot be read. Writes it to OUT (LEN
// bytes, truncated) and returns OUT. No allocation: the container's side
// calls it between clone and exec, inside the container's root.
const char* passwd_home(const char* path, uid_t uid, char* out, size_t len);

}  // namespace rrun
