#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <ctime>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace rrun {
namespace {
struct LogSink {
    int fd = -1;
    LogFormat format = LogFormat::text;
    bool debug = false;
};
LogSink sink;

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "info";
}

void write_line(int fd, const std::string& line) {
    // One write per line so concurrent writers (O_APPEND) never interleave.
    ssize_t unused = ::write(fd, line.data(), line.size());
    (void)unused;
}
}  // namespace

std::string rfc3339(const struct timespec& ts) {
    // The civil date of a day count (H. Hinnant's days_from_civil inverse), not
    // gmtime_r or strftime: glibc's load the time zone (/etc/localtime) that UTC needs not.
    long long secs = ts.tv_sec, days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, days--;
    long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    char buf[128];
    snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", year, month, day, rem / 3600,
             rem / 60 % 60, rem % 60, ts.tv_nsec);
    return buf;
}

std::string rfc3339_now() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return rfc3339(ts);
}

void log_configure(const std::string& file, LogFormat format, bool debug) {
    sink.format = format;
    sink.debug = debug;
    if (!file.empty()) {
        sink.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (sink.fd < 0) perror(("rrun: open log file " + file).c_str());
    }
}

bool log_debug_enabled() { return sink.debug; }

void log_message(LogLevel level, std::string_view msg) {
    if (sink.fd >= 0) {
        std::string line;
        if (sink.format == LogFormat::json) {
            nlohmann::json j{{"level", level_name(level)}, {"msg", msg}, {"time", rfc3339_now()}};
            line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        } else {
            line = "time=\"" + rfc3339_now() + "\" level=" + level_name(level) + " msg=" +
                   nlohmann::json(msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        }
        write_line(sink.fd, line);
    }
    // With a log file, only errors also go to stderr (runc's way): engines
    // such as conmon hand the runtime the container's own stdio, so a warning
    // there would land in the container's output.
    if (level >= LogLevel::error || (sink.fd < 0 && (level == LogLevel::warning || sink.debug))) {
        std::string line = std::string("rrun: ") + (level == LogLevel::warning ? "warning: " : "") +
                           (level == LogLevel::debug ? "debug: " : "") + std::string(msg) + "\n";
        write_line(STDERR_FILENO, line);
    }
}

}  // namespace rrun
