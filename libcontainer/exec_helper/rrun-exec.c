/*
 * rrun-exec: the last step of every container process that could otherwise
 * reach a writable rrun binary (CVE-2019-5736; see exe_seal.hpp). rrun runs
 * it from a sealed memfd, so /proc/PID/exe of the process that execs the
 * container's program is this sealed copy, never the host's binary, and a
 * "#!/proc/self/exe" program runs this again, not rrun.
 *
 *   argv[0]  where a failure goes: "f<FD>" a fifo read by `start` (text),
 *            "s<FD>" exec's sync socket (one SyncMessage), anything else none
 *   argv[1]  the program, as rrun resolved it
 *   argv[2]  the program's argv...; the environment is the program's
 *
 * No libc: a static binary of a few hundred bytes, nothing to relocate, so
 * this exec costs the kernel's execve and little else.
 */
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#define NR_write 1
#define NR_close 3
#define NR_fcntl 72
#define NR_execve 59
#define NR_exit 60
#define NR_prctl 157
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call helper_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_write 64
#define NR_close 57
#define NR_fcntl 25
#define NR_execve 221
#define NR_exit 93
#define NR_prctl 167
static long sys3(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n bl helper_main\n");
#else
#error "rrun-exec: no system call stub for this architecture"
#endif

#define F_SETFD 2
#define PR_SET_DUMPABLE 4
#define FD_CLOEXEC 1
#define SYNC_ERROR 3 /* SyncType::error in sync.hpp */

/* The layout of SyncMessage (sync.hpp). */
struct sync_message {
    uint32_t type;
    int32_t err;
    char text[1024];
};

static size_t append(char* buf, size_t at, size_t cap, const char* s) {
    while (*s && at + 1 < cap) buf[at++] = *s++;
    buf[at] = 0;
    return at;
}

/* glibc's wording for what execve can fail with; the number otherwise. */
static const char* errno_text(long e, char* spare) {
    switch (e) {
        case 1: return "Operation not permitted";
        case 2: return "No such file or directory";
        case 7: return "Argument list too long";
        case 8: return "Exec format error";
        case 12: return "Cannot allocate memory";
        case 13: return "Permission denied";
        case 20: return "Not a directory";
        case 21: return "Is a directory";
        case 22: return "Invalid argument";
        case 24: return "Too many open files";
        case 26: return "Text file busy";
        case 36: return "File name too long";
        case 38: return "Function not implemented";
        case 40: return "Too many levels of symbolic links";
        case 80: return "Accessing a corrupted shared library";
    }
    char digits[24];
    int n = 0;
    unsigned long v = (unsigned long)e;
    do digits[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 20);
    size_t at = append(spare, 0, 32, "error ");
    while (n) spare[at++] = digits[--n];
    spare[at] = 0;
    return spare;
}

static long parse_fd(const char* s) {
    long fd = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || fd > 1000000) return -1;
        fd = fd * 10 + (*s - '0');
    }
    return fd;
}

__attribute__((noreturn, used)) void helper_main(long* sp) {
    long argc = sp[0];
    char** argv = (char**)(sp + 1);
    char** envp = argv + argc + 1;
    /* Our exec made us dumpable again: nothing in the container may take
       the report fd through /proc or ptrace. The program's exec resets it. */
    sys3(NR_prctl, PR_SET_DUMPABLE, 0, 0);
    if (argc < 3) sys3(NR_exit, 127, 0, 0);
    char kind = argv[0][0];
    long fd = (kind == 'f' || kind == 's') ? parse_fd(argv[0] + 1) : -1;
    /* The report fd must not reach the program: closed by the exec. */
    if (fd >= 0 && sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC) < 0) {
        sys3(NR_close, fd, 0, 0);
        fd = -1;
    }
    long err = -sys3(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);

    static struct sync_message msg;
    char spare[32];
    size_t n = append(msg.text, 0, sizeof msg.text, "exec ");
    n = append(msg.text, n, sizeof msg.text, argv[1]);
    n = append(msg.text, n, sizeof msg.text, ": ");
    n = append(msg.text, n, sizeof msg.text, errno_text(err, spare));
    if (fd >= 0 && kind == 's') {
        msg.type = SYNC_ERROR;
        msg.err = (int32_t)err;
        sys3(NR_write, fd, (long)&msg, sizeof msg);
    } else {
        if (fd >= 0) sys3(NR_write, fd, (long)msg.text, (long)n);
        static char line[sizeof msg.text + 16];
        size_t m = append(line, 0, sizeof line, "rrun: ");
        m = append(line, m, sizeof line, msg.text);
        m = append(line, m, sizeof line, "\n");
        sys3(NR_write, 2, (long)line, (long)m);
    }
    sys3(NR_exit, 127, 0, 0);
    for (;;) {
    }
}
