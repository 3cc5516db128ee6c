/* probe: a small static program put in every conformance test's rootfs.
 * It reports, as one JSON object on stdout, what a process sees from inside
 * the container.  Modes:
 *   probe [report]            everything below (the default)
 *   probe stat PATH           lstat of PATH (type, mode, uid, gid, rdev)
 *   probe open PATH r|w       open PATH, report errno (0 on success)
 *   probe read PATH           up to 4 KiB of PATH and the errno
 *   probe write PATH          create/write PATH, report errno
 *   probe mark PATH           write "started" to PATH, then report
 *   probe sleep SECONDS       sleep (a long-running container)
 *   probe signals PATH        wait for signals, append each number to PATH,
 *                             exit 0 after SIGTERM/SIGINT
 *   probe lines [SYSCTL...]   the report of tests/differential: "key value"
 *                             lines, raw (the runner normalises), ending
 *                             with "end"; also /dev, interfaces, cgroup
 *                             limits and the named sysctls
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static int first = 1;

static void jstr(const char* s) {
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c == '\t') printf("\\t");
        else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void key(const char* k) {
    if (!first) putchar(',');
    first = 0;
    jstr(k);
    putchar(':');
}

static void kstr(const char* k, const char* v) { key(k); if (v) jstr(v); else printf("null"); }
static void kint(const char* k, long long v) { key(k); printf("%lld", v); }

static int slurp(const char* path, char* buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r < 0) { int e = errno; close(fd); return -e; }
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    close(fd);
    return (int)n;
}

/* "Key:\tvalue" from /proc/self/status */
static void status_field(const char* status, const char* name, char* out, size_t len) {
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char* p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char* v = p + nl + 1;
            while (*v == ' ' || *v == '\t') v++;
            size_t i = 0;
            while (v[i] && v[i] != '\n' && i + 1 < len) { out[i] = v[i]; i++; }
            out[i] = 0;
            return;
        }
    }
}

static void lines_array(const char* k, const char* text) {
    key(k);
    putchar('[');
    int f = 1;
    const char* p = text;
    while (p && *p) {
        const char* e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[4096];
        if (n >= sizeof line) n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = 0;
        if (!f) putchar(',');
        f = 0;
        jstr(line);
        p = e ? e + 1 : NULL;
    }
    putchar(']');
}

static const struct { const char* name; int res; } rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static void print_rlim(rlim_t v) {
    if (v == RLIM_INFINITY) printf("18446744073709551615");
    else printf("%llu", (unsigned long long)v);
}

static void report(int argc, char** argv) {
    static char buf[1 << 20];
    char tmp[4096];
    printf("{");
    key("args");
    putchar('[');
    for (int i = 0; i < argc; i++) { if (i) putchar(','); jstr(argv[i]); }
    putchar(']');
    kint("pid", getpid());
    kint("ppid", getppid());
    kint("uid", getuid());
    kint("euid", geteuid());
    kint("gid", getgid());
    kint("egid", getegid());
    gid_t groups[256];
    int ng = getgroups(256, groups);
    key("groups");
    putchar('[');
    for (int i = 0; i < ng; i++) printf(i ? ",%u" : "%u", groups[i]);
    putchar(']');
    mode_t um = umask(0);
    umask(um);
    kint("umask", um);
    errno = 0;
    char* cwd = getcwd(tmp, sizeof tmp);
    kstr("cwd", cwd);
    kint("cwd_errno", cwd ? 0 : errno);
    struct utsname u;
    uname(&u);
    kstr("hostname", u.nodename);
    kstr("domainname", u.domainname);
    kstr("machine", u.machine);
    key("env");
    putchar('[');
    for (char** e = environ; e && *e; e++) { if (e != environ) putchar(','); jstr(*e); }
    putchar(']');

    if (slurp("/proc/self/status", buf, sizeof buf) >= 0) {
        const char* names[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Umask"};
        key("status");
        printf("{");
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            status_field(buf, names[i], tmp, sizeof tmp);
            if (i) putchar(',');
            jstr(names[i]);
            putchar(':');
            jstr(tmp);
        }
        printf("}");
    }

    key("rlimits");
    printf("{");
    for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++) {
        struct rlimit rl;
        if (i) putchar(',');
        jstr(rlimits[i].name);
        if (getrlimit(rlimits[i].res, &rl) != 0) { printf(":null"); continue; }
        printf(":[");
        print_rlim(rl.rlim_cur);
        putchar(',');
        print_rlim(rl.rlim_max);
        putchar(']');
    }
    printf("}");

    key("ns");
    printf("{");
    const char* nss[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
    int nf = 1;
    for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
        char path[64], link[256];
        snprintf(path, sizeof path, "/proc/self/ns/%s", nss[i]);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n < 0) continue;
        link[n] = 0;
        if (!nf) putchar(',');
        nf = 0;
        jstr(nss[i]);
        putchar(':');
        jstr(link);
    }
    printf("}");

    const char* files[][2] = {
        {"uid_map", "/proc/self/uid_map"}, {"gid_map", "/proc/self/gid_map"},
        {"setgroups", "/proc/self/setgroups"}, {"oom_score_adj", "/proc/self/oom_score_adj"},
        {"cgroup", "/proc/self/cgroup"}, {"attr_current", "/proc/self/attr/current"},
        {"timens_offsets", "/proc/self/timens_offsets"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        int n = slurp(files[i][1], buf, sizeof buf);
        if (n < 0) { kstr(files[i][0], NULL); continue; }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0)) buf[--n] = 0;
        kstr(files[i][0], buf);
    }
    if (slurp("/proc/self/mountinfo", buf, sizeof buf) >= 0) lines_array("mountinfo", buf);

    kint("personality", personality(0xffffffff));

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    kint("monotonic", ts.tv_sec);
    clock_gettime(CLOCK_BOOTTIME, &ts);
    kint("boottime", ts.tv_sec);

    key("fds");
    printf("{");
    DIR* d = opendir("/proc/self/fd");
    int ff = 1;
    int dfd = d ? dirfd(d) : -1;
    for (struct dirent* e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dfd) continue;
        char path[300], link[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n < 0 ? 0 : n] = 0;
        if (!ff) putchar(',');
        ff = 0;
        jstr(e->d_name);
        putchar(':');
        jstr(link);
    }
    if (d) closedir(d);
    printf("}");

    key("tty");
    printf("[");
    for (int i = 0; i < 3; i++) printf(i ? ",%s" : "%s", isatty(i) ? "true" : "false");
    printf("]");
    char* tn = ttyname(0);
    kstr("ttyname", tn);
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) { key("winsize"); printf("[%u,%u]", ws.ws_row, ws.ws_col); }
    printf("}\n");
}

static const char* file_type(mode_t m) {
    return S_ISCHR(m) ? "c" : S_ISBLK(m) ? "b" : S_ISFIFO(m) ? "p" : S_ISDIR(m) ? "d" : S_ISLNK(m) ? "l"
         : S_ISSOCK(m) ? "s" : "f";
}

/* the target of symlink PATH in LINK ("" when unreadable) */
static void link_target(const char* path, char* link, size_t len) {
    ssize_t n = readlink(path, link, len - 1);
    link[n < 0 ? 0 : n] = 0;
}

static void stat_path(const char* path) {
    struct stat st;
    printf("{");
    kstr("path", path);
    if (lstat(path, &st) != 0) { kint("errno", errno); printf("}\n"); return; }
    kint("errno", 0);
    kstr("type", file_type(st.st_mode));
    kint("mode", st.st_mode & 07777);
    kint("uid", st.st_uid);
    kint("gid", st.st_gid);
    kint("major", major(st.st_rdev));
    kint("minor", minor(st.st_rdev));
    if (S_ISLNK(st.st_mode)) {
        char link[PATH_MAX];
        link_target(path, link, sizeof link);
        kstr("target", link);
    }
    printf("}\n");
}

/* ---- "lines": one fact a line, for the differential suite ---- */

static void line_file(const char* k, const char* path) {
    static char buf[1 << 16];
    int n = slurp(path, buf, sizeof buf);
    if (n < 0) { printf("%s !%d\n", k, -n); return; }
    for (char *p = buf, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        if (e) *e = 0;
        printf("%s %s\n", k, p);
        if (!e) break;
    }
}

static void list_dev(const char* dir, int depth) {
    DIR* d = opendir(dir);
    if (!d) { printf("dev %s !%d\n", dir, errno); return; }
    struct dirent* e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) { printf("dev %s !%d\n", path, errno); continue; }
        printf("dev %s %s %04o %u %u %u:%u", path, file_type(st.st_mode), st.st_mode & 07777, st.st_uid, st.st_gid,
               major(st.st_rdev), minor(st.st_rdev));
        if (S_ISLNK(st.st_mode)) {
            char link[PATH_MAX];
            link_target(path, link, sizeof link);
            printf(" -> %s", link);
        }
        putchar('\n');
        if (S_ISDIR(st.st_mode) && depth > 0) list_dev(path, depth - 1);
    }
    closedir(d);
}

static void lines(int argc, char** argv) {
    static char buf[1 << 16];
    char tmp[4096];
    printf("id %u %u %u %u\n", getuid(), geteuid(), getgid(), getegid());
    gid_t groups[256];
    int ng = getgroups(256, groups);
    printf("groups");
    for (int i = 0; i < ng; i++) printf(" %u", groups[i]);
    putchar('\n');
    mode_t um = umask(0);
    umask(um);
    printf("umask %04o\n", um);
    char* cwd = getcwd(tmp, sizeof tmp);
    if (cwd) printf("cwd %s\n", cwd); else printf("cwd !%d\n", errno);
    struct utsname u;
    uname(&u);
    printf("hostname %s\ndomainname %s\n", u.nodename, u.domainname);
    printf("pid %d\n", getpid());
    for (char** e = environ; e && *e; e++) printf("env %s\n", *e);
    if (slurp("/proc/self/status", buf, sizeof buf) >= 0) {
        const char* names[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            status_field(buf, names[i], tmp, sizeof tmp);
            printf("%s %s\n", names[i], tmp);
        }
    }
    for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++) {
        struct rlimit rl;
        printf("%s ", rlimits[i].name);
        if (getrlimit(rlimits[i].res, &rl) != 0) { printf("!%d\n", errno); continue; }
        print_rlim(rl.rlim_cur);
        putchar(' ');
        print_rlim(rl.rlim_max);
        putchar('\n');
    }
    const char* nss[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
    for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
        char path[64], link[256];
        snprintf(path, sizeof path, "/proc/self/ns/%s", nss[i]);
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n < 0 ? 0 : n] = 0;
        printf("ns.%s %s\n", nss[i], n < 0 ? "!" : link);
    }
    line_file("uid_map", "/proc/self/uid_map");
    line_file("gid_map", "/proc/self/gid_map");
    line_file("setgroups", "/proc/self/setgroups");
    line_file("oom_score_adj", "/proc/self/oom_score_adj");
    line_file("mount", "/proc/self/mountinfo");
    /* what each mount point looks like (a tmpfs's mode and owner after copy-up) */
    if (slurp("/proc/self/mountinfo", buf, sizeof buf) >= 0) {
        for (char *p = buf, *e; p && *p; p = e ? e + 1 : NULL) {
            e = strchr(p, '\n');
            if (e) *e = 0;
            char mp[PATH_MAX];
            struct stat st;
            if (sscanf(p, "%*s %*s %*s %*s %4095s", mp) == 1 && stat(mp, &st) == 0)
                printf("mp %s %04o %u %u\n", mp, st.st_mode & 07777, st.st_uid, st.st_gid);
        }
    }
    list_dev("/dev", 2);
    /* interfaces by ioctl, not /sys: what the process's own network namespace has */
    struct if_nameindex* ifs = if_nameindex();
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (struct if_nameindex* i = ifs; i && i->if_index; i++) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", i->if_name);
        if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) { printf("net %s !%d\n", i->if_name, errno); continue; }
        printf("net %s %s\n", i->if_name, (ifr.ifr_flags & IFF_UP) ? "up" : "down");
    }
    if (ifs) if_freenameindex(ifs);
    if (sock >= 0) close(sock);
    /* limits as the container sees them: v1 controller dirs or the v2 root */
    const char* cg[] = {"memory/memory.limit_in_bytes", "memory/memory.memsw.limit_in_bytes", "pids/pids.max",
                        "cpu/cpu.shares", "cpu/cpu.cfs_quota_us", "memory.max", "pids.max", "cpu.weight"};
    for (size_t i = 0; i < sizeof cg / sizeof *cg; i++) {
        char path[256];
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s", cg[i]);
        int n = slurp(path, tmp, sizeof tmp);
        if (n < 0) { printf("cgroup.%s !%d\n", cg[i], -n); continue; }
        while (n > 0 && tmp[n - 1] == '\n') tmp[--n] = 0;
        printf("cgroup.%s %s\n", cg[i], tmp);
    }
    for (int i = 2; i < argc; i++) {
        char path[256], k[300];
        snprintf(path, sizeof path, "/proc/sys/%s", argv[i]);
        for (char* p = path + 10; *p; p++) if (*p == '.') *p = '/';
        snprintf(k, sizeof k, "sysctl.%s", argv[i]);
        line_file(k, path);
    }
    DIR* d = opendir("/proc/self/fd");
    int dfd = d ? dirfd(d) : -1;
    printf("fds");
    for (struct dirent* e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dfd) printf(" %s", e->d_name);
    putchar('\n');
    if (d) closedir(d);
    /* a few harmless calls that seccomp profiles allow or deny */
    errno = 0;
    printf("sys.getppid %d\n", syscall(SYS_getppid) < 0 ? errno : 0);
    errno = 0;
    printf("sys.unshare0 %d\n", unshare(0) < 0 ? errno : 0);
    errno = 0;
    printf("sys.close_range %d\n", syscall(SYS_close_range, ~0U, ~0U, 0) < 0 ? errno : 0);
    errno = 0;
    printf("sys.mkdir %d\n", mkdir("/proc/self/x", 0) < 0 ? errno : 0);
    printf("end\n");
}

static volatile sig_atomic_t got;

static void on_signal(int sig) { got = sig; }

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "report";
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (!strcmp(mode, "report")) {
        report(argc, argv);
    } else if (!strcmp(mode, "lines")) {
        lines(argc, argv);
    } else if (!strcmp(mode, "stat") && argc > 2) {
        stat_path(argv[2]);
    } else if (!strcmp(mode, "open") && argc > 3) {
        int fd = open(argv[2], argv[3][0] == 'w' ? O_WRONLY : O_RDONLY);
        int e = fd < 0 ? errno : 0;
        printf("{");
        kstr("path", argv[2]);
        kint("errno", e);
        printf("}\n");
    } else if (!strcmp(mode, "read") && argc > 2) {
        static char buf[4096];
        int n = slurp(argv[2], buf, sizeof buf);
        printf("{");
        kstr("path", argv[2]);
        kint("errno", n < 0 ? -n : 0);
        kstr("data", n < 0 ? NULL : buf);
        kint("size", n < 0 ? 0 : n);
        printf("}\n");
    } else if (!strcmp(mode, "write") && argc > 2) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = 0;
        if (fd < 0) e = errno;
        else if (write(fd, "x\n", 2) != 2) e = errno;
        if (fd >= 0) close(fd);
        printf("{");
        kstr("path", argv[2]);
        kint("errno", e);
        printf("}\n");
    } else if (!strcmp(mode, "mark") && argc > 2) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { (void)!write(fd, "started\n", 8); close(fd); }
        report(argc, argv);
    } else if (!strcmp(mode, "sleep")) {
        unsigned s = argc > 2 ? (unsigned)atoi(argv[2]) : 3600;
        while (s) s = sleep(s);
    } else if (!strcmp(mode, "signals") && argc > 2) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        for (int s = 1; s < 32; s++)
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
        for (;;) {
            pause();
            int s = got;
            got = 0;
            if (!s) continue;
            char line[16];
            int n = snprintf(line, sizeof line, "%d\n", s);
            if (fd >= 0) (void)!write(fd, line, (size_t)n);
            if (s == SIGTERM || s == SIGINT) return 0;
        }
    } else {
        fprintf(stderr, "probe: unknown mode %s\n", mode);
        return 2;
    }
    fflush(stdout);
    return 0;
}
