/*
 * The libseccomp 2.5.4 leak that tests/fuzz/lsan.supp suppresses, without
 * rrun, for a report upstream (github.com/seccomp/libseccomp/issues):
 *
 *   cc -o leak tests/fuzz/libseccomp-leak.c -lseccomp
 *   valgrind --leak-check=full ./leak setsockopt shutdown socketcall
 *     -> 192 bytes in 2 blocks definitely lost, under seccomp_rule_add_array
 *   valgrind --leak-check=full ./leak socketcall setsockopt shutdown
 *     -> no leak (the order matters)
 *
 * The x86 arch beside the native x86_64 is what turns socket syscalls with
 * argument rules into socketcall multiplexing; X32=1 adds x32 too.
 */
#include <seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(38));
    seccomp_arch_add(ctx, SCMP_ARCH_X86);
    if (getenv("X32")) seccomp_arch_add(ctx, SCMP_ARCH_X32);
    for (int i = 1; i < argc; i++) {
        int nr = seccomp_syscall_resolve_name(argv[i]);
        struct scmp_arg_cmp a = SCMP_A2(SCMP_CMP_NE, 9);
        int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &a);
        if (rc < 0) printf("%s: %d\n", argv[i], rc);
    }
    seccomp_release(ctx);
}
