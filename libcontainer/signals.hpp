#pragma once
#include <string>

namespace rrun {

// "KILL", "SIGKILL", "9", "SIGRTMIN+3" -> the signal number; Error otherwise.
int parse_signal(const std::string& text);

}  // namespace rrun
