// linux.seccomp -> a BPF program, built with libseccomp in the parent and
// installed by the container's init with a single seccomp(2) call.
//
// Semantics follow runc (libcontainer/seccomp/seccomp_linux.go) so that
// podman's and docker's default profiles behave the same:
//  - a syscall name libseccomp does not know is skipped (debug log);
//  - a rule whose action equals the default action is skipped;
//  - SCMP_ACT_ERRNO and SCMP_ACT_TRACE without errnoRet return EPERM;
//  - when two args of one rule test the same index they are ORed (one rule
//    per arg), otherwise all args of a rule are ANDed.
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>
#include <seccomp.h>

#include "cache.hpp"
#include "error.hpp"
#include "log.hpp"
#include "seccomp.hpp"
#include "unique_fd.hpp"

namespace rrun::seccomp {

namespace {

using nlohmann::json;

constexpr unsigned kMaxArgs = 6;        // syscall arguments a rule can test
constexpr uint64_t kMaxErrno = 0xffff;  // SECCOMP_RET_DATA

struct ActionName {
    std::string_view name;
    uint32_t action;
    bool takes_errno;  // errnoRet goes into SECCOMP_RET_DATA
};
constexpr std::array<ActionName, 9> kActions{{
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
}};

struct OpName {
    std::string_view name;
    scmp_compare op;
};
constexpr std::array<OpName, 7> kOps{{
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
}};

struct FlagName {
    std::string_view name;
    unsigned int flag;
};
constexpr std::array<FlagName, 4> kFlags{{
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
}};

// Every SCMP_ARCH_* name of the runtime-spec; libseccomp knows them by the
// lower-case suffix ("SCMP_ARCH_X86_64" -> "x86_64").
constexpr std::array<std::string_view, 22> kArchs{
    "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",      "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",      "SCMP_ARCH_SH"};

// Syscalls the init makes after loading a filter with a notify action and
// before it has handed the notify fd to the parent (process.cpp: user switch,
// capabilities, cwd, no_new_privs, umask, PATH lookup, fds, the ready
// message). A NOTIFY rule on one of them would block the init with nobody to
// answer and hang `create`; runc refuses "write" for the same reason.
constexpr std::array<std::string_view, 22> kNotifyForbidden{
    "access",   "capget",  "capset",   "close",    "close_range", "faccessat", "faccessat2", "fchdir",
    "fcntl",    "fcntl64", "fstatat64", "newfstatat", "prctl",    "sendmsg",   "setgroups",  "setresgid",
    "setresuid", "stat",   "stat64",   "statx",    "umask",       "write"};

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw Error(where + ": " + what); }

const json* member(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::string get_string(const json& j, const std::string& where) {
    if (!j.is_string()) fail(where, "must be a string");
    return j.get<std::string>();
}

uint64_t get_u64(const json& j, const std::string& where) {
    if (j.is_number_unsigned()) return j.get<uint64_t>();
    if (j.is_number_integer() && j.get<int64_t>() >= 0) return static_cast<uint64_t>(j.get<int64_t>());
    fail(where, "must be a non-negative integer");
}

const json& get_array(const json& obj, const char* key, const std::string& where) {
    static const json empty = json::array();
    const json* a = member(obj, key);
    if (!a) return empty;
    if (!a->is_array()) fail(where + "." + key, "must be an array");
    return *a;
}

// Owns a libseccomp context.
struct CtxRelease {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, CtxRelease>;

// ACTION_FIELD names the action, ERRNO_FIELD the errnoRet that goes with it.
uint32_t parse_action(const json& obj, const char* action_key, const char* errno_key, const std::string& where) {
    const json* a = member(obj, action_key);
    if (!a) fail(where + "." + action_key, "required");
    std::string name = get_string(*a, where + "." + action_key);
    auto it = std::find_if(kActions.begin(), kActions.end(), [&](auto& n) { return n.name == name; });
    if (it == kActions.end()) fail(where + "." + action_key, "unknown action " + in_quotes(name));
    if (!it->takes_errno) {
        // config-linux.md (errnoRet, defaultErrnoRet; runtime-spec 1.2.1): an
        // errno on an action that returns none MUST be an error. runc 1.1.5 ignores it.
        if (member(obj, errno_key))
            fail(where + "." + errno_key, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not " + name);
        return it->action;
    }
    uint64_t err = EPERM;  // runc's default for both ERRNO and TRACE
    if (const json* e = member(obj, errno_key)) {
        err = get_u64(*e, where + "." + errno_key);
        if (err > kMaxErrno) fail(where + "." + errno_key, std::to_string(err) + " is out of range (0..65535)");
    }
    return it->action | static_cast<uint32_t>(err);
}

scmp_arg_cmp parse_arg(const json& arg, const std::string& where) {
    if (!arg.is_object()) fail(where, "must be an object");
    const json* index = member(arg, "index");
    const json* value = member(arg, "value");
    const json* op = member(arg, "op");
    if (!index) fail(where + ".index", "required");
    if (!value) fail(where + ".value", "required");
    if (!op) fail(where + ".op", "required");
    uint64_t i = get_u64(*index, where + ".index");
    if (i >= kMaxArgs) fail(where + ".index", std::to_string(i) + " is out of range (0..5)");
    std::string op_name = get_string(*op, where + ".op");
    auto it = std::find_if(kOps.begin(), kOps.end(), [&](auto& n) { return n.name == op_name; });
    if (it == kOps.end()) fail(where + ".op", "unknown operator " + in_quotes(op_name));
    scmp_arg_cmp cmp{};
    cmp.arg = static_cast<unsigned int>(i);
    cmp.op = it->op;
    // For SCMP_CMP_MASKED_EQ value is the mask and valueTwo the datum, as in runc.
    cmp.datum_a = get_u64(*value, where + ".value");
    if (const json* two = member(arg, "valueTwo")) cmp.datum_b = get_u64(*two, where + ".valueTwo");
    return cmp;
}

void add_arch(const Context& ctx, const std::string& name, const std::string& where) {
    uint32_t token = 0;
    if (name.rfind("SCMP_ARCH_", 0) == 0) {
        std::string lower = name.substr(10);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        token = seccomp_arch_resolve_name(lower.c_str());
    }
    if (token == 0) fail(where, "unknown architecture " + in_quotes(name));
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc == -EEXIST) return;  // the native one is always there
    if (rc < 0) fail(where, "cannot add architecture " + in_quotes(name) + ": " + strerror(-rc));
}

void add_rules(const Context& ctx, int nr, const std::string& name, uint32_t action,
               const std::vector<scmp_arg_cmp>& args, const std::string& where) {
    auto add = [&](const scmp_arg_cmp* a, unsigned n) {
        int rc = seccomp_rule_add_array(ctx.get(), action, nr, n, a);
        if (rc < 0) fail(where, "cannot add a rule for " + in_quotes(name) + ": " + strerror(-rc));
    };
    std::array<unsigned, kMaxArgs> per_index{};
    bool repeated = false;
    for (auto& a : args) repeated = repeated || ++per_index[a.arg] > 1;
    if (!repeated) return add(args.data(), static_cast<unsigned>(args.size()));
    // libseccomp cannot AND two tests of one argument: like runc, one rule each (OR).
    for (auto& a : args) add(&a, 1);
}

void add_syscall_entry(const Context& ctx, const json& entry, uint32_t default_action, const std::string& where,
                       Filter& out) {
    if (!entry.is_object()) fail(where, "must be an object");
    uint32_t action = parse_action(entry, "action", "errnoRet", where);
    std::vector<scmp_arg_cmp> args;
    const json& jargs = get_array(entry, "args", where);
    for (size_t i = 0; i < jargs.size(); i++) args.push_back(parse_arg(jargs[i], where + ".args[" + std::to_string(i) + "]"));
    const json& names = get_array(entry, "names", where);
    if (names.empty()) fail(where + ".names", "required (at least one syscall name)");
    for (size_t i = 0; i < names.size(); i++) {
        std::string name = get_string(names[i], where + ".names[" + std::to_string(i) + "]");
        if (action == SCMP_ACT_NOTIFY &&
            std::find(kNotifyForbidden.begin(), kNotifyForbidden.end(), name) != kNotifyForbidden.end())
            fail(where, "SCMP_ACT_NOTIFY cannot be used for " + in_quotes(name) +
                            ": rrun's init makes that call before the listener has the notify fd");
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
            log_debug("seccomp: unknown syscall " + in_quotes(name) + " in " + where + " ignored");
            continue;
        }
        if (action == default_action) continue;  // the default does it already
        if (action == SCMP_ACT_NOTIFY) out.notify = true;
        add_rules(ctx, nr, name, action, args, where);
    }
}

// Whether the running kernel takes FLAGS for SECCOMP_SET_MODE_FILTER: it
// checks them before reading the program, so a NULL program gives EFAULT
// when they are fine and EINVAL when not, and installs nothing.
bool kernel_has_flags(unsigned int flags) {
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr) < 0 && errno == EFAULT;
}

// A WAIT_KILLABLE_RECV probe must come with NEW_LISTENER, which it needs.
bool kernel_has_flag(unsigned int flag) {
    if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    return kernel_has_flags(flag);
}

unsigned int parse_flags(const json& seccomp) {
    unsigned int flags = 0;
    const json& jflags = get_array(seccomp, "flags", "linux.seccomp");
    for (size_t i = 0; i < jflags.size(); i++) {
        std::string where = "linux.seccomp.flags[" + std::to_string(i) + "]";
        std::string name = get_string(jflags[i], where);
        auto it = std::find_if(kFlags.begin(), kFlags.end(), [&](auto& n) { return n.name == name; });
        if (it == kFlags.end()) fail(where, "unknown flag " + in_quotes(name));
        if (!kernel_has_flag(it->flag)) fail(where, in_quotes(name) + " is not supported by this kernel");
        flags |= it->flag;
    }
    return flags;
}

// The kernel refuses TSYNC with NEW_LISTENER unless TSYNC_ESRCH is also
// given (a failed sync could not be reported next to the fd). The init is a
// single thread when it loads the filter, so TSYNC has nothing to do there:
// keep it with TSYNC_ESRCH where the kernel has that, else drop it.
unsigned int fit_flags(unsigned int flags, bool notify) {
    if (!notify) {
        if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            log_debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule");
        return flags & ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
    if (!(flags & SECCOMP_FILTER_FLAG_TSYNC)) return flags;
    if (kernel_has_flags(flags | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
        return flags | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    log_debug("seccomp: SECCOMP_FILTER_FLAG_TSYNC dropped: the kernel has no TSYNC_ESRCH to combine it with a listener");
    return flags & ~SECCOMP_FILTER_FLAG_TSYNC;
}

// libseccomp 2.5 exports BPF only to an fd: go through a memfd.
std::vector<sock_filter> export_program(const Context& ctx) {
    unique_fd mem(::memfd_create("rrun-seccomp", MFD_CLOEXEC));
    if (!mem) fail("linux.seccomp", std::string("memfd_create: ") + strerror(errno));
    int rc = seccomp_export_bpf(ctx.get(), mem.get());
    if (rc < 0) fail("linux.seccomp", std::string("export the BPF program: ") + strerror(-rc));
    struct stat st;
    if (::fstat(mem.get(), &st) < 0) fail("linux.seccomp", std::string("fstat the BPF program: ") + strerror(errno));
    size_t size = static_cast<size_t>(st.st_size);
    if (size == 0 || size % sizeof(sock_filter) != 0)
        fail("linux.seccomp", "libseccomp exported a BPF program of " + std::to_string(size) + " bytes");
    std::vector<sock_filter> program(size / sizeof(sock_filter));
    auto* p = reinterpret_cast<char*>(program.data());
    for (size_t done = 0; done < size;) {
        ssize_t n = ::pread(mem.get(), p + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("linux.seccomp", std::string("read the BPF program: ") + (n < 0 ? strerror(errno) : "short"));
        done += static_cast<size_t>(n);
    }
    if (program.size() > BPF_MAXINSNS)
        fail("linux.seccomp", "the filter compiles to " + std::to_string(program.size()) +
                                  " BPF instructions, more than the kernel's " + std::to_string(BPF_MAXINSNS));
    return program;
}

}  // namespace

Filter compile(const json& seccomp) {
    if (!seccomp.is_object()) fail("linux.seccomp", "must be an object");
    Filter out;
    uint32_t default_action = parse_action(seccomp, "defaultAction", "defaultErrnoRet", "linux.seccomp");
    // Every syscall not named would wait for a listener the init has not reached yet.
    if (default_action == SCMP_ACT_NOTIFY) fail("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
    Context ctx(seccomp_init(default_action));
    if (!ctx) fail("linux.seccomp.defaultAction", "libseccomp refused the default action");

    const json& archs = get_array(seccomp, "architectures", "linux.seccomp");
    for (size_t i = 0; i < archs.size(); i++) {
        std::string where = "linux.seccomp.architectures[" + std::to_string(i) + "]";
        add_arch(ctx, get_string(archs[i], where), where);
    }
    unsigned int flags = parse_flags(seccomp);
    // The same text compiled before gives the same program: skip libseccomp.
    std::string profile = seccomp.dump();
    std::optional<CachedProgram> cached = cache_load(profile);
    const json& syscalls = get_array(seccomp, "syscalls", "linux.seccomp");
    if (cached)
        out.notify = cached->notify;
    else
        for (size_t i = 0; i < syscalls.size(); i++)
            add_syscall_entry(ctx, syscalls[i], default_action, "linux.seccomp.syscalls[" + std::to_string(i) + "]", out);

    if (const json* p = member(seccomp, "listenerPath")) out.listener_path = get_string(*p, "linux.seccomp.listenerPath");
    if (const json* m = member(seccomp, "listenerMetadata"))
        out.listener_metadata = get_string(*m, "linux.seccomp.listenerMetadata");
    if (out.notify && out.listener_path.empty())
        fail("linux.seccomp.listenerPath", "required when a rule uses SCMP_ACT_NOTIFY");
    if (!out.notify && !out.listener_path.empty())
        log_debug("seccomp: linux.seccomp.listenerPath ignored: no SCMP_ACT_NOTIFY rule");
    out.flags = fit_flags(flags, out.notify);
    if (cached) {
        out.program = std::move(cached->program);
    } else {
        out.program = export_program(ctx);
        cache_store(profile, out.program, out.notify);
    }
    return out;
}

// Runs in the child between clone and exec: one syscall, no allocation.
int load(const Filter& f) {
    struct sock_fprog prog{};
    prog.len = static_cast<unsigned short>(f.program.size());
    prog.filter = const_cast<struct sock_filter*>(f.program.data());
    unsigned long flags = f.flags;
    if (f.notify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (rc < 0) return -1;
    return f.notify ? static_cast<int>(rc) : 0;
}

nlohmann::ordered_json features() {
    using ordered = nlohmann::ordered_json;
    ordered actions = ordered::array(), ops = ordered::array(), archs = ordered::array();
    ordered known = ordered::array(), supported = ordered::array();
    // libseccomp's API level says what it can use on this kernel: 3 adds
    // KILL_PROCESS and LOG, 5 adds NOTIFY.
    unsigned int api = seccomp_api_get();
    for (auto& a : kActions) {
        if ((a.action == SCMP_ACT_KILL_PROCESS || a.action == SCMP_ACT_LOG) && api < 3) continue;
        if (a.action == SCMP_ACT_NOTIFY && api < 5) continue;
        actions.push_back(a.name);
    }
    for (auto& o : kOps) ops.push_back(o.name);
    for (auto name : kArchs) {
        std::string lower(name.substr(10));
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (seccomp_arch_resolve_name(lower.c_str()) != 0) archs.push_back(name);
    }
    for (auto& f : kFlags) {
        known.push_back(f.name);
        if (kernel_has_flag(f.flag)) supported.push_back(f.name);
    }
    return ordered{{"enabled", true},       {"actions", actions},      {"operators", ops},
                   {"archs", archs},        {"knownFlags", known},     {"supportedFlags", supported}};
}

}  // namespace rrun::seccomp
