// An experiment of issue #21 (bench/README.md, "Where a root run waits now"):
// do v1 cgroup mkdirs overlap with the clone3 of rrun's namespaces? Each
// round times, in turn: the clone3 then the mkdirs; the mkdirs by a CLONE_VM
// helper (raw system calls only) while the main thread clones; the mkdirs
// submitted before the clone3 as io_uring IORING_OP_MKDIRAT. As root:
//   cc -O2 -o /tmp/mkdir_overlap bench/mkdir_overlap.c
//   unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified; /tmp/mkdir_overlap 40
//       $(grep -v "^0::" /proc/self/cgroup | cut -d: -f2,3 | sed "s|^name=||; s|:|/|; s|^|/sys/fs/cgroup/|")'
// (one line: the command is split here for width)
// (each argument: a v1 hierarchy's directory for this process; a directory
// "ovlN" is made and removed in each).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_DIRS = 16 };
static char paths[MAX_DIRS][512];
static int ndirs;
static char helper_stack[65536] __attribute__((aligned(16)));

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static pid_t clone_namespaces(void) {
    struct clone_args a = {0};
    a.flags = CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
    a.exit_signal = SIGCHLD;
    pid_t p = syscall(SYS_clone3, &a, sizeof a);
    if (p == 0) _exit(0);
    return p;
}

static void make_all(void) {
    for (int i = 0; i < ndirs; i++) syscall(SYS_mkdir, paths[i], 0755);
}

static int helper(void* arg) {
    (void)arg;
    make_all();
    return 0;
}

static int check_and_remove(void) {
    int missing = 0;
    for (int i = 0; i < ndirs; i++) {
        if (access(paths[i], F_OK) != 0) missing++;
        rmdir(paths[i]);
    }
    usleep(20000);  // let the kernel's workers finish taking them down
    return missing;
}

// The mkdirs through a new io_uring, submitted before clone3 and reaped after it.
static double uring_across_clone(double* setup_ms) {
    double t0 = now_ms();
    struct io_uring_params pr = {0};
    int fd = syscall(SYS_io_uring_setup, 16, &pr);
    if (fd < 0) {
        perror("io_uring_setup");
        exit(1);
    }
    size_t sq_size = pr.sq_off.array + pr.sq_entries * sizeof(unsigned);
    size_t cq_size = pr.cq_off.cqes + pr.cq_entries * sizeof(struct io_uring_cqe);
    char* sq = mmap(0, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    char* cq = mmap(0, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    size_t sqes_size = pr.sq_entries * sizeof(struct io_uring_sqe);
    struct io_uring_sqe* sqes = mmap(0, sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    unsigned* tail = (unsigned*)(sq + pr.sq_off.tail);
    unsigned* array = (unsigned*)(sq + pr.sq_off.array);
    unsigned mask = *(unsigned*)(sq + pr.sq_off.ring_mask);
    for (int i = 0; i < ndirs; i++) {
        struct io_uring_sqe* s = &sqes[i];
        memset(s, 0, sizeof *s);
        s->opcode = IORING_OP_MKDIRAT;
        s->fd = AT_FDCWD;
        s->addr = (unsigned long)paths[i];
        s->len = 0755;
        s->user_data = i;
        array[(*tail + i) & mask] = i;
    }
    __atomic_store_n(tail, *tail + ndirs, __ATOMIC_RELEASE);
    syscall(SYS_io_uring_enter, fd, ndirs, 0, 0, 0, 0);
    *setup_ms += now_ms() - t0;
    pid_t p = clone_namespaces();
    syscall(SYS_io_uring_enter, fd, 0, ndirs, IORING_ENTER_GETEVENTS, 0, 0);
    double t1 = now_ms();
    close(fd);
    munmap(sq, sq_size);
    munmap(cq, cq_size);
    munmap(sqes, sqes_size);
    waitpid(p, 0, 0);
    return t1 - t0;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: mkdir_overlap ROUNDS DIR...\n");
        return 2;
    }
    int rounds = atoi(argv[1]);
    ndirs = argc - 2 < MAX_DIRS ? argc - 2 : MAX_DIRS;
    double sequential = 0, clone_alone = 0, helper_ms = 0, uring = 0, uring_setup = 0;
    int missing = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ndirs; i++) snprintf(paths[i], sizeof paths[i], "%s/ovl%d", argv[i + 2], r);
        double t0 = now_ms();
        pid_t p = clone_namespaces();
        double t1 = now_ms();
        make_all();
        double t2 = now_ms();
        waitpid(p, 0, 0);
        missing += check_and_remove();
        sequential += t2 - t0;
        clone_alone += t1 - t0;

        t0 = now_ms();
        pid_t h = clone(helper, helper_stack + sizeof helper_stack, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD, 0);
        p = clone_namespaces();
        waitpid(h, 0, 0);
        helper_ms += now_ms() - t0;
        waitpid(p, 0, 0);
        missing += check_and_remove();

        uring += uring_across_clone(&uring_setup);
        missing += check_and_remove();
    }
    printf("per round, ms: clone3 then the mkdirs %.3f (the clone3 alone %.3f); a CLONE_VM helper's mkdirs "
           "during the clone3 %.3f; io_uring mkdirs across the clone3 %.3f (setup and submit %.3f); "
           "directories missing: %d\n",
           sequential / rounds, clone_alone / rounds, helper_ms / rounds, uring / rounds, uring_setup / rounds, missing);
    return missing != 0;
}
