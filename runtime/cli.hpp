#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "container.hpp"

namespace rrun::cli {

struct Flag {
    const char* name;   // long name without dashes
    char short_name;    // 0 if none
    bool takes_value;
    const char* help;
    const char* alias = nullptr;  // another long name accepted for it (crun's or docker's spelling)
};

// A command line after the command's flags were taken out.
struct Args {
    std::map<std::string, std::vector<std::string>> values;
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return values.count(name) != 0; }
    bool flag(const std::string& name) const;  // a bool flag (accepts --x=true/false)
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> all(const std::string& name) const;
};

// Thrown for usage errors: exit 1 with a hint to --help, as runc does.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Command {
    const char* name;
    const char* alias;  // or nullptr
    const char* usage;  // after "rrun NAME"
    const char* summary;
    std::vector<Flag> flags;
    int min_args, max_args;      // positional count (-1: no limit)
    bool stop_at_positional;     // exec: everything after the id is the command
    int (*run)(const RuntimeContext&, const Args&);
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

// Parses ARGV[from..] against FLAGS. Long flags as --name, -name, --name=v;
// short flags as -x, -x v, -xv; "--" ends flags.
Args parse(const std::vector<Flag>& flags, const std::vector<std::string>& argv, size_t from, bool stop_at_positional);

std::string command_help(const Command& c);
std::string global_help();

// Reads the id positional and checks it; usage error when absent.
const std::string& container_id(const Args& a);
// A decimal number from 0 to MAX (no sign, no hex); UsageError naming the flag otherwise.
uint64_t parse_number(const std::string& flag, const std::string& value, uint64_t max);
int parse_count(const std::string& flag, const std::string& value);  // 0..65536

// Command entry points, one file each.
int cmd_create(const RuntimeContext&, const Args&);
int cmd_start(const RuntimeContext&, const Args&);
int cmd_run(const RuntimeContext&, const Args&);
int cmd_state(const RuntimeContext&, const Args&);
int cmd_kill(const RuntimeContext&, const Args&);
int cmd_delete(const RuntimeContext&, const Args&);
int cmd_list(const RuntimeContext&, const Args&);
int cmd_spec(const RuntimeContext&, const Args&);
int cmd_features(const RuntimeContext&, const Args&);
int cmd_exec(const RuntimeContext&, const Args&);
int cmd_ps(const RuntimeContext&, const Args&);
int cmd_pause(const RuntimeContext&, const Args&);
int cmd_resume(const RuntimeContext&, const Args&);
int cmd_update(const RuntimeContext&, const Args&);
int cmd_events(const RuntimeContext&, const Args&);
// update's flags (runc's), defined in update.cpp.
extern const std::vector<Flag> update_flags;
int cmd_not_yet(const RuntimeContext&, const Args&);
// checkpoint and restore (CRIU), with runc's flags; defined in checkpoint.cpp and restore.cpp.
int cmd_checkpoint(const RuntimeContext&, const Args&);
int cmd_restore(const RuntimeContext&, const Args&);
extern const std::vector<Flag> checkpoint_flags;
extern const std::vector<Flag> criu_common_flags;  // the flags both share
const std::vector<Flag>& restore_flags();
extern const std::vector<Flag> exec_flags;

// create and run share their flags and their reading of them.
extern const std::vector<Flag> create_flags;
CreateOptions create_options(const Args& a);

}  // namespace rrun::cli
