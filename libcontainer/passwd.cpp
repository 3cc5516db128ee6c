#include "passwd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>

namespace rrun {

namespace {

// One passwd line: its FIELD when the uid is UID.
bool field_in_line(const char* line, uid_t uid, PasswdField which, char* out, size_t len) {
    const char* start[7] = {line};
    int n = 1;
    for (const char* p = line; *p && n < 7; p++)
        if (*p == ':') start[n++] = p + 1;
    if (n < 6) return false;
    const char* u = start[2];
    if (u == start[3] - 1) return false;  // empty uid
    unsigned long value = 0;
    for (; u < start[3] - 1; u++) {
        if (*u < '0' || *u > '9' || value > 0xffffffffUL / 10) return false;
        value = value * 10 + static_cast<unsigned long>(*u - '0');
    }
    if (value != uid) return false;
    int field = static_cast<int>(which);
    const char* text = start[field];
    size_t text_len = (field + 1 < n ? start[field + 1] - 1 : text + strlen(text)) - text;
    snprintf(out, len, "%.*s", static_cast<int>(text_len), text);
    return true;
}

}  // namespace

bool passwd_field(const char* path, uid_t uid, PasswdField field, char* out, size_t len) {
    // Not a FIFO or a device an image put there: the init must not block on it.
    int fd = ::open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return false;
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return false;
    }
    static char chunk[4096], line[4096];
    size_t line_len = 0;
    bool too_long = false, found = false;
    ssize_t got;
    while (!found && (got = ::read(fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < got && !found; i++) {
            if (chunk[i] != '\n') {
                if (line_len < sizeof line - 1) line[line_len++] = chunk[i];
                else too_long = true;
                continue;
            }
            line[line_len] = 0;
            found = !too_long && field_in_line(line, uid, field, out, len);
            line_len = 0;
            too_long = false;
        }
    }
    if (!found && line_len && !too_long) {  // a last line without a newline
        line[line_len] = 0;
        found = field_in_line(line, uid, field, out, len);
    }
    ::close(fd);
    return found;
}

const char* passwd_home(const char* path, uid_t uid, char* out, size_t len) {
    if (!passwd_field(path, uid, PasswdField::home, out, len)) snprintf(out, len, "/");
    return out;
}

}  // namespace rrun
