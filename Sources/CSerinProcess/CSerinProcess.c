// posix_spawn_file_actions_addchdir_np and _addclosefrom_np are GNU extensions.
#define _GNU_SOURCE
#include "CSerinProcess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>

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
