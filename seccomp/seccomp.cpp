#include "seccomp.hpp"

#include <seccomp.h>

namespace rrun::seccomp {

std::string library_version() {
    const struct scmp_version* v = seccomp_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace rrun::seccomp
