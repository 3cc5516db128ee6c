/* The pod sandbox's init for test_cri.sh (what Kubernetes' pause image does):
 * sleeps until SIGINT/SIGTERM, and as PID 1 of a shared-PID pod reaps the
 * orphans reparented to it. Built with gcc -static at test time. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }

int main(void) {
    struct sigaction q = {.sa_handler = quit}, r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
    sigaction(SIGINT, &q, 0);
    sigaction(SIGTERM, &q, 0);
    sigaction(SIGCHLD, &r, 0);
    for (;;) pause();
}
