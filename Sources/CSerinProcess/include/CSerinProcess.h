#ifndef C_SERIN_PROCESS_H
#define C_SERIN_PROCESS_H

#include <sys/types.h>

/// Starts `file` as a supervised workload process and stores its pid in `pid`.
///
/// The child runs in a session of its own (so it outlives the supervisor and
/// can be signalled as a group), with an empty signal mask and every signal
/// at its default disposition (a supervisor started by a test runner or a
/// service manager may block or ignore SIGTERM, and both are inherited
/// through exec), in `directory` when given, with stdin from /dev/null,
/// stdout and stderr on `log_fd`, and no other descriptor open.
///
/// `file` is looked up in PATH unless it contains a '/'. `argv` and `envp`
/// are NULL-terminated. Returns 0, or the errno of the failure (an exec
/// failure such as ENOENT is reported here, not by the child).
int serin_spawn(const char *file, char *const argv[], char *const envp[],
                const char *directory, int log_fd, pid_t *pid);

/// The same as `serin_spawn`, with the process's user and group set to
/// `uid` and `gid` (supplementary groups: `gid` alone) before it runs:
/// fork, then only async-signal-safe calls in the child, and exec. The
/// caller must be root. Returns 0, or the errno of the first failure
/// (setgid, setuid, chdir or exec), reported from the child through a
/// close-on-exec pipe.
int serin_spawn_as(const char *file, char *const argv[], char *const envp[],
                   const char *directory, int log_fd, uid_t uid, gid_t gid, pid_t *pid);

#endif
