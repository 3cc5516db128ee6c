// The benchmark's process starter, small and static so that it adds little
// to what it measures (a child's ru_maxrss starts at the size of the process
// it was forked from: the kernel keeps the old mm's high-water mark across
// execve, so a Python parent would inflate every runtime's peak RSS).
//
//   spawn CMD...
//     runs CMD (stdin and stdout on /dev/null) and writes to fd 3
//     "EXIT MICROSECONDS MAXRSS_KIB USER_US SYS_US MINOR_FAULTS"
//     (the rusage covers CMD and the children it reaped).
//
//   spawn --cycle PIDFILE -- CREATE... -- START... -- DELETE...
//     what conmon and containerd's shim do: create (which writes PIDFILE),
//     start, wait for the container's init (as its subreaper), delete. Writes
//     "EXIT TOTAL_US CREATE_US START_US DELETE_US CREATE_MAXRSS_KIB CPU_US".
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static long cpu_us(const struct rusage* ru) {
    return ru->ru_utime.tv_sec * 1000000L + ru->ru_utime.tv_usec + ru->ru_stime.tv_sec * 1000000L +
           ru->ru_stime.tv_usec;
}

// Runs ARGV to its end; returns its exit code (128+signal), -1 if it could not start.
static int run(char** argv, struct rusage* ru, long* us) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, 3);
    long t0 = now_us();
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) return -1;
    int status;
    if (wait4(pid, &status, 0, ru) < 0) return -1;
    *us = now_us() - t0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cycle(int argc, char** argv) {
    // argv: PIDFILE -- CREATE... -- START... -- DELETE...
    char* pidfile = argv[0];
    char** cmd[3];
    int n = 0;
    for (int i = 1; i < argc && n <= 3; i++) {
        if (strcmp(argv[i], "--") != 0) continue;
        argv[i] = NULL;
        if (n < 3) cmd[n] = argv + i + 1;
        n++;
    }
    if (n != 3) return 2;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    struct rusage ru[3];
    long us[3], t0 = now_us();
    int code = run(cmd[0], &ru[0], &us[0]);
    if (code != 0) goto out;
    char buf[32] = {0};
    int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0) {
        code = 125;
        goto out;
    }
    close(fd);
    pid_t init = (pid_t)atoi(buf);
    if ((code = run(cmd[1], &ru[1], &us[1])) != 0) goto out;
    waitpid(init, NULL, 0);
    code = run(cmd[2], &ru[2], &us[2]);
out:
    if (code != 0) {
        dprintf(3, "%d 0 0 0 0 0 0\n", code);
        return 0;
    }
    dprintf(3, "0 %ld %ld %ld %ld %ld %ld\n", now_us() - t0, us[0], us[1], us[2], ru[0].ru_maxrss,
            cpu_us(&ru[0]) + cpu_us(&ru[1]) + cpu_us(&ru[2]));
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 3 && strcmp(argv[1], "--cycle") == 0) return cycle(argc - 2, argv + 2);
    if (argc < 2) return 2;
    struct rusage ru;
    long us = 0;
    int code = run(argv + 1, &ru, &us);
    if (code < 0) return 127;
    dprintf(3, "%d %ld %ld %ld %ld %ld\n", code, us, ru.ru_maxrss, ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec,
            ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec, ru.ru_minflt);
    return 0;
}
