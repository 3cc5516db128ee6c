#include <cerrno>

#include <nlohmann/json.hpp>

#include "seccomp.hpp"

namespace rrun::seccomp {

// Placeholder until the seccomp issue lands.
Filter compile(const nlohmann::json&) { return {}; }
int load(const Filter&) { return 0; }
void send_to_listener(const Filter&, int, pid_t, const std::string&) {}

}  // namespace rrun::seccomp
