#include "hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "log.hpp"
#include "process.hpp"
#include "sync.hpp"

namespace rrun {

std::vector<HookPlan> plan_hooks(const std::vector<Hook>& hooks) {
    std::vector<HookPlan> out;
    for (auto& h : hooks) {
        HookPlan p;
        p.hook = &h;
        // args[0] is argv[0]; with no args the path stands in for it.
        if (h.args.empty()) p.argv.push_back(const_cast<char*>(h.path.c_str()));
        for (auto& a : h.args) p.argv.push_back(const_cast<char*>(a.c_str()));
        p.argv.push_back(nullptr);
        if (h.env_given) {
            for (auto& e : h.env) p.envp.push_back(const_cast<char*>(e.c_str()));
        } else {
            // As runc's hooks (Go's exec.Cmd with a nil Env): PATH and the rest
            // of the runtime's own environment, which GPU and network hooks need.
            for (char** e = environ; e && *e; e++) p.envp.push_back(*e);  // null after clearenv()
        }
        p.envp.push_back(nullptr);
        out.push_back(std::move(p));
    }
    return out;
}

namespace {

long now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// One hook: fork, exec with the state on stdin and stdout/stderr captured,
// wait up to its timeout. OUT gets the start of what it printed.
int run_one(const HookPlan& h, const char* name, const char* state, size_t state_len, char* out, size_t out_len) {
    int in[2], output[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(output, O_CLOEXEC) < 0) return child_fail(errno, "%s: pipe", name);
    int pidfd = -1;
    pid_t pid = clone_process(0, &pidfd);
    if (pid < 0) return child_fail(errno, "%s: fork", name);
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(output[1], 1);
        ::dup2(output[1], 2);
        ::execve(h.hook->path.c_str(), h.argv.data(), h.envp.data());
        dprintf(2, "exec %s: %s", h.hook->path.c_str(), strerror(errno));
        _exit(127);
    }
    ::close(in[0]);
    ::close(output[1]);
    // The state fits a pipe buffer in practice; a hook that does not read it
    // must not block us, nor kill us with SIGPIPE when it has already exited.
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    struct sigaction ignore = {}, before;
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &before);
    ssize_t unused = ::write(in[1], state, state_len);
    (void)unused;
    ::sigaction(SIGPIPE, &before, nullptr);
    ::close(in[1]);
    long deadline = h.hook->timeout ? now_ms() + *h.hook->timeout * 1000L : -1;
    size_t used = 0;
    bool timed_out = false;
    struct pollfd fds[2] = {{output[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
    for (;;) {
        int wait = deadline < 0 ? -1 : static_cast<int>(deadline - now_ms());
        if (deadline >= 0 && wait <= 0) {
            timed_out = true;
            break;
        }
        int n = ::poll(fds, pidfd >= 0 ? 2 : 1, wait);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        if (fds[0].revents) {
            char buf[512];
            ssize_t r = ::read(output[0], buf, sizeof buf);
            if (r <= 0) {
                fds[0].fd = -1;  // closed: the hook (and its children) are done writing
                if (pidfd < 0) break;
            } else if (used + 1 < out_len) {
                size_t take = static_cast<size_t>(r) < out_len - 1 - used ? static_cast<size_t>(r) : out_len - 1 - used;
                memcpy(out + used, buf, take);
                used += take;
            }
        }
        if (pidfd >= 0 && fds[1].revents) break;
    }
    out[used] = 0;
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(output[0]);
    if (pidfd >= 0) ::close(pidfd);
    if (timed_out) return child_fail(0, "%s %s: timed out after %d s", name, h.hook->path.c_str(), *h.hook->timeout);
    if (WIFSIGNALED(status)) return child_fail(0, "%s %s: killed by signal %d", name, h.hook->path.c_str(), WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return child_fail(0, "%s %s: exit status %d%s%s", name, h.hook->path.c_str(), WEXITSTATUS(status), used ? ": " : "", out);
    return 0;
}

}  // namespace

int run_hook_list(const std::vector<HookPlan>& hooks, const char* kind, const char* state, size_t state_len) {
    static char output[2048];
    for (size_t i = 0; i < hooks.size(); i++) {
        char name[64];
        snprintf(name, sizeof name, "hooks.%s[%zu]", kind, i);
        if (run_one(hooks[i], name, state, state_len, output, sizeof output) < 0) return -1;
    }
    return 0;
}

void run_hooks(const std::vector<Hook>& hooks, const char* kind, const std::string& state) {
    if (hooks.empty()) return;
    auto plans = plan_hooks(hooks);
    if (run_hook_list(plans, kind, state.data(), state.size()) < 0) throw Error(child_failure().text);
    log_debug(std::string("ran ") + std::to_string(hooks.size()) + " " + kind + " hook(s)");
}

}  // namespace rrun
