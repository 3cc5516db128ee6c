#pragma once
#include <sys/types.h>
#include <cstddef>

namespace rrun {

// The fields of a passwd line "name:password:uid:gid:gecos:home:shell" that
// rrun looks up, by their index there.
enum class PasswdField { name = 0, home = 5 };

// FIELD of the first entry with uid UID in the passwd file at PATH, written
// to OUT (LEN bytes, truncated); false when there is none, the file cannot be
// read or is not a regular file. read(2) of the file, no stdio: glibc's
// fgetpwent seeks once per line.
bool passwd_field(const char* path, uid_t uid, PasswdField field, char* out, size_t len);

// The home directory of UID in the passwd file at PATH, as runc's
// GetExecUserPath finds it for a numeric user: the first entry with that uid,
// "/" when there is none or the file cannot be read. Writes it to OUT (LEN
// bytes, truncated) and returns OUT. No allocation: the container's side
// calls it between clone and exec, inside the container's root.
const char* passwd_home(const char* path, uid_t uid, char* out, size_t len);

}  // namespace rrun
