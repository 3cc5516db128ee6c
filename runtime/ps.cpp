// `ps`: the container's processes, from its cgroup. json: the host pids (what
// containerd's shim reads); table: `ps -ef` (or the given ps arguments)
// filtered to those pids, as runc does.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "error.hpp"

namespace rrun::cli {

namespace {

std::string run_ps(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    unique_fd rd(fds[0]), wr(fds[1]);
    std::vector<char*> argv;
    std::string ps = "ps";
    argv.push_back(ps.data());
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork ps");
    if (pid == 0) {
        ::dup2(wr.get(), STDOUT_FILENO);
        ::execvp("ps", argv.data());
        _exit(127);
    }
    wr.reset();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.append(buf, static_cast<size_t>(n));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("ps failed" + std::string(WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": ps is not installed" : ""));
    return out;
}

}  // namespace

int cmd_ps(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    std::string format = a.get("format", "table");
    if (format != "table" && format != "json") throw UsageError("invalid value \"" + format + "\" for --format: table or json");
    std::vector<pid_t> pids = container_processes(ctx, id);
    std::sort(pids.begin(), pids.end());
    if (format == "json") {
        std::printf("%s\n", nlohmann::json(pids).dump().c_str());
        return 0;
    }
    std::vector<std::string> ps_args(a.positional.begin() + 1, a.positional.end());
    if (ps_args.empty()) ps_args = {"-ef"};
    std::istringstream lines(run_ps(ps_args));
    std::string header;
    std::getline(lines, header);
    // The PID column, by its header word.
    std::istringstream h(header);
    int pid_col = -1, col = 0;
    for (std::string w; h >> w; col++)
        if (w == "PID") pid_col = col;
    if (pid_col < 0) throw Error("ps output has no PID column (ps " + ps_args[0] + "...)");
    std::printf("%s\n", header.c_str());
    for (std::string line; std::getline(lines, line);) {
        std::istringstream l(line);
        std::string w;
        for (int i = 0; i <= pid_col && (l >> w); i++) {
        }
        pid_t p = static_cast<pid_t>(std::atoi(w.c_str()));
        if (std::binary_search(pids.begin(), pids.end(), p)) std::printf("%s\n", line.c_str());
    }
    return 0;
}

}  // namespace rrun::cli
