#include "foreground.hpp"

#include <signal.h>
#include <sys/socket.h>

#include "error.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace rrun::cli {

namespace {
volatile sig_atomic_t forward_to = 0;

void forward_signal(int sig) {
    if (forward_to > 0) ::kill(forward_to, sig);
}
}  // namespace

OwnConsole make_own_console() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    return {unique_fd(pair[0]), unique_fd(pair[1])};
}

int wait_in_foreground(pid_t pid, int master) {
    forward_to = pid;
    struct sigaction sa{};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT}) ::sigaction(sig, &sa, nullptr);
    if (master >= 0) relay_terminal(master);
    int code = wait_exit_code(pid);
    forward_to = 0;
    return code;
}

}  // namespace rrun::cli
