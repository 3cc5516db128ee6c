#pragma once
#include <string>

namespace rrun::seccomp {

// "2.5.4": the libseccomp rrun runs with (for --version and features).
std::string library_version();

}  // namespace rrun::seccomp
