// cgroup v2 has no devices controller: access to device nodes is decided by a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. It is built here
// from the device rules and loaded with bpf(2) directly (no libbpf).
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "internal.hpp"
#include "error.hpp"
#include "unique_fd.hpp"

namespace rrun::cg {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

// Registers: r1 the context (struct bpf_cgroup_dev_ctx), then r2 type, r3 access, r4 major, r5 minor.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

uint32_t access_bits(const std::string& access) {
    uint32_t bits = 0;
    for (char c : access) {
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}
constexpr uint32_t all_access = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

bool is_all_devices(const DeviceRule& r) {
    return r.type == 'a' && r.major < 0 && r.minor < 0 && access_bits(r.access) == all_access;
}

// One rule: falls through to the next block unless the request matches, then returns the verdict.
std::vector<bpf_insn> rule_block(const DeviceRule& r) {
    std::vector<bpf_insn> b;
    std::vector<size_t> jumps;  // to patch: they skip to the end of the block
    auto jump_if_not = [&](bpf_insn i) {
        jumps.push_back(b.size());
        b.push_back(i);
    };
    if (r.type != 'a') {
        int32_t type = r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        jump_if_not(insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0, type));
    }
    uint32_t acc = access_bits(r.access);
    if (acc != all_access) {
        b.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0));
        b.push_back(insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, static_cast<int32_t>(acc)));
        if (r.allow)  // an allow covers a request only when it grants all of it
            jump_if_not(insn(BPF_JMP | BPF_JNE | BPF_X, R1, R3, 0, 0));
        else  // a deny matches when it forbids any part of it
            jump_if_not(insn(BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0));
    }
    if (r.type != 'a' && r.major >= 0) jump_if_not(insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, static_cast<int32_t>(r.major)));
    if (r.type != 'a' && r.minor >= 0) jump_if_not(insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, static_cast<int32_t>(r.minor)));
    b.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r.allow ? 1 : 0));
    b.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps) b[j].off = static_cast<int16_t>(b.size() - j - 1);
    return b;
}

std::vector<bpf_insn> build(const std::vector<DeviceRule>& rules) {
    // Only what follows the last "all devices" rule matters; it sets the default.
    size_t start = 0;
    bool default_allow = true;
    for (size_t i = 0; i < rules.size(); i++)
        if (is_all_devices(rules[i])) start = i + 1, default_allow = rules[i].allow;
    std::vector<bpf_insn> p = {
        insn(BPF_LDX | BPF_W | BPF_MEM, R2, R1, 0, 0),  // access_type
        insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff),  // low half: device type
        insn(BPF_LDX | BPF_W | BPF_MEM, R3, R1, 0, 0),
        insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16),  // high half: access
        insn(BPF_LDX | BPF_W | BPF_MEM, R4, R1, 4, 0),  // major
        insn(BPF_LDX | BPF_W | BPF_MEM, R5, R1, 8, 0),  // minor
    };
    // The kernel applied v1 rules in order, the last matching one deciding: test them last to first.
    for (size_t i = rules.size(); i > start; i--) {
        auto b = rule_block(rules[i - 1]);
        p.insert(p.end(), b.begin(), b.end());
    }
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, default_allow ? 1 : 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return p;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

}  // namespace

std::vector<uint64_t> device_program(const std::vector<DeviceRule>& rules) {
    auto p = build(rules);
    std::vector<uint64_t> out(p.size());
    std::memcpy(out.data(), p.data(), p.size() * sizeof(bpf_insn));
    return out;
}

void attach_device_program(const std::string& dir, const std::vector<DeviceRule>& rules) {
    auto prog = build(rules);
    static const char license[] = "Apache";
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uint64_t>(prog.data());
    attr.insn_cnt = static_cast<uint32_t>(prog.size());
    attr.license = reinterpret_cast<uint64_t>(license);
    long fd = bpf(BPF_PROG_LOAD, attr);
    if (fd < 0) {
        // Again with the verifier's log, only now: it tells what is wrong.
        int err = errno;
        std::string log(16384, '\0');
        attr.log_buf = reinterpret_cast<uint64_t>(log.data());
        attr.log_size = static_cast<uint32_t>(log.size());
        attr.log_level = 1;
        if (bpf(BPF_PROG_LOAD, attr) >= 0) throw Error("load the cgroup device program: failed once, then not");
        log.resize(std::strlen(log.c_str()));
        throw Error("linux.resources.devices: load the cgroup device eBPF program: " + std::string(std::strerror(err)) +
                    (log.empty() ? "" : " (verifier: " + log + ")"));
    }
    unique_fd prog_fd(static_cast<int>(fd));
    unique_fd cgdir(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgdir) throw_errno("open " + dir);
    bpf_attr at{};
    at.target_fd = static_cast<uint32_t>(cgdir.get());
    at.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
    at.attach_type = BPF_CGROUP_DEVICE;
    // MULTI: a container may attach its own programs below, and they all must allow.
    at.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, at) < 0) throw_errno("linux.resources.devices: attach the device program to " + dir);
    // The attachment holds the program; our fd may close.
}

}  // namespace rrun::cg
