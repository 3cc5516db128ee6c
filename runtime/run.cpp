// run = create + start; in the foreground it forwards signals, relays the
// terminal when it owns it, waits, deletes (unless --keep) and exits with the
// container's exit code.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

#include "cli.hpp"
#include "error.hpp"
#include "log.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace rrun::cli {

namespace {
volatile sig_atomic_t forward_to = 0;

void forward_signal(int sig) {
    if (forward_to > 0) ::kill(forward_to, sig);
}

void install_forwarding(pid_t pid) {
    forward_to = pid;
    struct sigaction sa{};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT}) ::sigaction(sig, &sa, nullptr);
}
}  // namespace

int cmd_run(const RuntimeContext& ctx, const Args& a) {
    CreateOptions opts = create_options(a);
    bool detach = a.flag("detach");
    unique_fd our_console;
    if (opts.console_socket.empty() && !detach) {
        // Our own end of a terminal the container may ask for (used only if process.terminal).
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
        our_console.reset(pair[0]);
        opts.console_fd.reset(pair[1]);
    }
    std::string id = opts.id;
    InitProcess init = create_container(ctx, opts);
    bool owns_terminal = our_console && !opts.console_fd;  // create took the other end
    unique_fd master;
    if (owns_terminal) master = receive_pty_master(our_console.get());
    our_console.reset();
    try {
        start_container(ctx, id);
    } catch (...) {
        try {
            delete_container(ctx, id, true);
        } catch (const Error& e) {
            log_warning(e.what());
        }
        throw;
    }
    if (detach) return 0;
    install_forwarding(init.pid);
    if (master) relay_terminal(master.get());
    int code = wait_exit_code(init.pid);
    forward_to = 0;
    if (!a.flag("keep")) delete_container(ctx, id, true);
    return code;
}

}  // namespace rrun::cli
