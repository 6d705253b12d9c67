// posix_spawn_file_actions_addchdir_np and _addclosefrom_np are GNU extensions.
#define _GNU_SOURCE
#include "CSerinProcess.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int serin_spawn(const char *file, char *const argv[], char *const envp[],
                const char *directory, int log_fd, pid_t *pid) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    int result = posix_spawnattr_init(&attributes);
    if (result != 0) return result;
    result = posix_spawn_file_actions_init(&actions);
    if (result != 0) {
        posix_spawnattr_destroy(&attributes);
        return result;
    }

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if ((result = posix_spawnattr_setflags(&attributes, flags)) != 0) goto done;
    if ((result = posix_spawnattr_setsigmask(&attributes, &none)) != 0) goto done;
    if ((result = posix_spawnattr_setsigdefault(&attributes, &all)) != 0) goto done;

    // chdir first: a relative `file` or log path is then relative to the
    // working directory, as it would be for a shell.
    if (directory != NULL && (result = posix_spawn_file_actions_addchdir_np(&actions, directory)) != 0) goto done;
    if ((result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) != 0) goto done;
    if ((result = posix_spawn_file_actions_adddup2(&actions, log_fd, 1)) != 0) goto done;
    if ((result = posix_spawn_file_actions_adddup2(&actions, log_fd, 2)) != 0) goto done;
    // Descriptors the supervisor opened without O_CLOEXEC (or that another
    // thread opened meanwhile) must not leak into a process that may run
    // for months after the supervisor is gone.
    if ((result = posix_spawn_file_actions_addclosefrom_np(&actions, 3)) != 0) goto done;

    if (strchr(file, '/') != NULL) {
        result = posix_spawn(pid, file, &actions, &attributes, argv, envp);
    } else {
        result = posix_spawnp(pid, file, &actions, &attributes, argv, envp);
    }

done:
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return result;
}

int serin_spawn_as(const char *file, char *const argv[], char *const envp[],
                   const char *directory, int log_fd, uid_t uid, gid_t gid, pid_t *pid) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    // Every signal blocked across fork: no handler of the supervisor runs
    // in the child before its dispositions are reset.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = fork();
    if (child < 0) {
        int failure = errno;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
        close(report[0]);
        close(report[1]);
        return failure;
    }
    if (child == 0) {
        // The child of a threaded process: async-signal-safe calls only.
        struct sigaction standard;
        memset(&standard, 0, sizeof standard);
        standard.sa_handler = SIG_DFL;
        for (int signal = 1; signal < NSIG; signal++) sigaction(signal, &standard, NULL);
        setsid();
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) goto failed;
        // Dropped for good: root cannot be regained.
        if (uid != 0 && setuid(0) == 0) { errno = EPERM; goto failed; }
        if (directory != NULL && chdir(directory) != 0) goto failed;
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) goto failed;
        if (null > 2) close(null);
        // Nothing else reaches the workload; the report pipe closes at exec.
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        umask(022);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (strchr(file, '/') != NULL) {
            execve(file, argv, envp);
        } else {
            execvpe(file, argv, envp);
        }
    failed:;
        int failure = errno;
        ssize_t ignored = write(report[1], &failure, sizeof failure);
        (void)ignored;
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    int failure = 0;
    ssize_t count;
    do {
        count = read(report[0], &failure, sizeof failure);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof failure) {
        waitpid(child, NULL, 0);
        return failure;
    }
    *pid = child;
    return 0;
}
