// run = create + start; in the foreground it forwards signals, relays the
// terminal when it owns it, waits, deletes (unless --keep) and exits with the
// container's exit code.
#include "cli.hpp"
#include "error.hpp"
#include "foreground.hpp"
#include "log.hpp"
#include "terminal.hpp"

namespace rrun::cli {

int cmd_run(const RuntimeContext& ctx, const Args& a) {
    CreateOptions opts = create_options(a);
    bool detach = a.flag("detach");
    OwnConsole console;
    if (opts.console_socket.empty() && !detach) {
        console = make_own_console();
        opts.console_fd = std::move(console.theirs);  // used only if process.terminal
    }
    std::string id = opts.id;
    CreatedContainer created = create_container(ctx, opts);
    unique_fd master;
    if (console.ours && !opts.console_fd) master = receive_pty_master(console.ours.get());
    console.ours.reset();
    try {
        start_created_container(created);
    } catch (...) {
        try {
            delete_container(ctx, id, true);
        } catch (const Error& e) {
            log_warning(e.what());
        }
        throw;
    }
    if (detach) return 0;
    int code = wait_in_foreground(created.init.pid, master.get());
    if (!a.flag("keep")) delete_container(ctx, id, true);
    return code;
}

}  // namespace rrun::cli
