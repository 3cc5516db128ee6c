#pragma once
#include <stdexcept>
#include <string>

namespace rrun {

// Every failure travels upward as an Error whose message already names the
// field, file or path concerned; the command boundary prints it once.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "WHAT: strerror(err)".
[[noreturn]] void throw_sys(int err, const std::string& what);
// Same with the current errno.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace rrun
