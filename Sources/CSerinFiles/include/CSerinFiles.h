#ifndef C_SERIN_FILES_H
#define C_SERIN_FILES_H

/// openat2(2) of `path` below the directory `dirfd` with RESOLVE_BENEATH
/// and RESOLVE_NO_MAGICLINKS: every link is followed only while it stays
/// below `dirfd`; an absolute link or a `..` that climbs above it fails
/// with EXDEV. Returns the descriptor, or minus the errno (-ENOSYS where
/// the kernel has no openat2, before Linux 5.6).
int serin_open_beneath(int dirfd, const char *path, int flags);

/// O_PATH (a descriptor that names a file without opening it for reading),
/// which Swift's Glibc module does not export.
int serin_o_path(void);

#endif
