import Foundation
import SerinSpec

/// The user and group a workload's processes run as, from its
/// `template.runAs` and the host's user database. A committer chooses what
/// a workload runs, not who runs it: as root only when the operator's own
/// configuration allows it (`local.allowRootWorkloads`).
struct RunAsIdentity: Equatable {
    var uid: uid_t
    var gid: gid_t
    /// The user's home folder, for HOME.
    var home: String?

    /// Nil: the process runs as the operator. Throws when the template
    /// asks for what the operator cannot or may not do.
    static func resolve(_ runAs: RunAs?, workload: String, allowRoot: Bool,
                        operatorUser: uid_t = geteuid(), operatorGroup: gid_t = getegid()) throws(SupervisorError) -> RunAsIdentity? {
        guard let runAs, let user = runAs.user, !user.isEmpty else {
            if operatorUser == 0 && !allowRoot {
                throw SupervisorError("refusing to run workload \(workload) as root: give its template a runAs user (runAs: { user: NAME }), "
                    + "or set local.allowRootWorkloads: true in serin.yaml", cannotStart: true)
            }
            return nil
        }
        guard var identity = lookUp(user: user) else {
            throw SupervisorError("runAs.user \(user) of workload \(workload) is not a user on this host: create it, or name another",
                                  cannotStart: true)
        }
        if let group = runAs.group, !group.isEmpty {
            guard let gid = lookUp(group: group) else {
                throw SupervisorError("runAs.group \(group) of workload \(workload) is not a group on this host: create it, or name another",
                                      cannotStart: true)
            }
            identity.gid = gid
        }
        if identity.uid == 0 && !allowRoot {
            throw SupervisorError("refusing to run workload \(workload) as root (runAs.user \(user)): name another user, "
                + "or set local.allowRootWorkloads: true in serin.yaml", cannotStart: true)
        }
        guard operatorUser == 0 else {
            if identity.uid == operatorUser && identity.gid == operatorGroup { return nil }
            throw SupervisorError("workload \(workload) asks to run as \(user), but serin runs as uid \(operatorUser) and can switch users "
                + "only when it runs as root", cannotStart: true)
        }
        return identity
    }

    /// A name from the user database, or a number (which need not be in it).
    static func lookUp(user: String) -> RunAsIdentity? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        if getpwnam_r(user, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return RunAsIdentity(uid: entry.pw_uid, gid: entry.pw_gid, home: entry.pw_dir.map { String(cString: $0) })
        }
        guard let uid = uid_t(user) else { return nil }
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return RunAsIdentity(uid: uid, gid: entry.pw_gid, home: entry.pw_dir.map { String(cString: $0) })
        }
        return RunAsIdentity(uid: uid, gid: gid_t(uid), home: nil)
    }

    static func lookUp(group: String) -> gid_t? {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        if getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil { return entry.gr_gid }
        return gid_t(group)
    }
}
