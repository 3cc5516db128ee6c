#pragma once
#include <string>
#include <string_view>
#include <ctime>

namespace rrun {

enum class LogLevel { debug, info, warning, error };
enum class LogFormat { text, json };

// Where messages go: stderr always gets warnings and errors; the --log file,
// when given, gets every message at or above the level in the chosen format
// (containerd's shim reads the last "error" line of a json log).
void log_configure(const std::string& file, LogFormat format, bool debug);
void log_message(LogLevel level, std::string_view msg);
bool log_debug_enabled();

inline void log_debug(std::string_view m) {
    if (log_debug_enabled()) log_message(LogLevel::debug, m);
}
inline void log_warning(std::string_view m) { log_message(LogLevel::warning, m); }
inline void log_error(std::string_view m) { log_message(LogLevel::error, m); }

// RFC 3339 time with nanoseconds, UTC.
std::string rfc3339_now();
// TS in UTC as RFC 3339 with nanoseconds: 2006-01-02T15:04:05.999999999Z.
std::string rfc3339(const struct timespec& ts);

}  // namespace rrun
