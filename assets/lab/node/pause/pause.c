/* The real-node lab's pause process: PID 1 of every Pod sandbox. It holds the
 * Pod's namespaces, reaps orphans, and exits on SIGINT/SIGTERM. Written for
 * kubetutor; built static by ../../build-real-node.sh into a one-file image. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { _exit(sig == SIGTERM || sig == SIGINT ? 0 : 1); }

static void reap(int sig) {
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void) {
    if (getpid() != 1) {
        /* Still fine: the sandbox is what matters, but say so. */
        static const char msg[] = "pause: not PID 1\n";
        (void)!write(2, msg, sizeof msg - 1);
    }
    struct sigaction sa = {0};
    sa.sa_handler = quit;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = reap;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    for (;;)
        pause();
    return 0;
}
