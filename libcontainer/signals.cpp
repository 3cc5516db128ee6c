#include "signals.hpp"

#include <csignal>
#include <cstring>
#include <string_view>
#include <cctype>
#include <string>

#include "error.hpp"

namespace rrun {
namespace {
constexpr std::pair<std::string_view, int> signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

bool parse_small_int(std::string_view s, int& out) {
    if (s.empty() || s.size() > 3) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    return true;
}
}  // namespace

int parse_signal(const std::string& text) {
    std::string_view s = text;
    int n;
    if (parse_small_int(s, n)) {
        if (n >= 1 && n <= SIGRTMAX) return n;
        throw Error("invalid signal \"" + text + "\": out of range 1-" + std::to_string(SIGRTMAX));
    }
    std::string upper;
    for (char c : s) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view name = upper;
    if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
    for (auto& [sig_name, num] : signal_names)
        if (name == sig_name) return num;
    auto realtime = [&](std::string_view base, int origin, int dir) -> int {
        if (name.substr(0, base.size()) != base) return -1;
        std::string_view rest = name.substr(base.size());
        if (rest.empty()) return origin;
        int off;
        if ((rest[0] == '+' || rest[0] == '-') && parse_small_int(rest.substr(1), off)) {
            int sig = origin + (rest[0] == '+' ? off : -off) * dir;
            if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
        }
        return 0;
    };
    for (auto [base, origin] : {std::pair<std::string_view, int>{"RTMIN", SIGRTMIN}, {"RTMAX", SIGRTMAX}}) {
        int sig = realtime(base, origin, 1);
        if (sig > 0) return sig;
        if (sig == 0) break;
    }
    throw Error("invalid signal \"" + text + "\"");
}

}  // namespace rrun
