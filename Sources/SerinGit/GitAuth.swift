import CLibGit2
import Foundation

/// What a connection may present and check: credentials for the remote, and
/// the known hosts an SSH server's key must match. Secrets stay in here and
/// never reach a message or a log.
public struct GitAuth: Sendable {
    public var credentials: GitCredentials
    /// SSH host keys that are trusted; an SSH remote not in it is refused.
    public var knownHosts: KnownHosts?
    /// Connections and transfers give up after this long.
    public var timeout: Duration

    public init(credentials: GitCredentials = GitCredentials(), knownHosts: KnownHosts? = nil, timeout: Duration = .seconds(60)) {
        self.credentials = credentials
        self.knownHosts = knownHosts
        self.timeout = timeout
    }

    /// `Authorization: Bearer ...`, which libgit2 sends as a custom header.
    var headers: [String] {
        credentials.bearerToken.map { ["Authorization: Bearer \($0)"] } ?? []
    }
}

/// State the C callbacks of one operation share. Lives for one libgit2 call,
/// on one thread.
final class CallbackContext {
    let auth: GitAuth
    let url: GitURL
    let deadline: ContinuousClock.Instant
    var credentialAttempts = 0
    /// Why a callback refused, more precise than libgit2's own message.
    var failure: GitError?

    init(auth: GitAuth, url: GitURL) {
        self.auth = auth
        self.url = url
        self.deadline = ContinuousClock.now + auth.timeout
    }

    var expired: Bool { ContinuousClock.now > deadline }

    /// Callbacks filled in for a remote operation.
    func callbacks() -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, _, usernameFromURL, allowedTypes, payload in
            let context = Unmanaged<CallbackContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.credential(out, usernameFromURL.map { String(cString: $0) }, allowedTypes)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            let context = Unmanaged<CallbackContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.check(cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
        callbacks.transfer_progress = { _, payload in
            let context = Unmanaged<CallbackContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.checkDeadline()
        }
        callbacks.sideband_progress = { _, _, payload in
            let context = Unmanaged<CallbackContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.checkDeadline()
        }
        return callbacks
    }

    private func checkDeadline() -> Int32 {
        guard expired else { return 0 }
        failure = GitError(.timeout, "\(url.redacted): timed out after \(auth.timeout)")
        return GIT_EUSER.rawValue
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, _ usernameFromURL: String?,
                            _ allowedTypes: UInt32) -> Int32 {
        credentialAttempts += 1
        let credentials = auth.credentials
        // libgit2 asks again after a refusal; a second ask means the first was wrong.
        guard credentialAttempts <= 2, checkDeadline() == 0 else {
            failure = GitError(.authentication, "\(url.redacted): authentication failed: the credentials were refused")
            return GIT_EUSER.rawValue
        }
        let username = credentials.username ?? usernameFromURL ?? url.user ?? "git"
        if allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, let key = credentials.identityFile {
            return git_credential_ssh_key_new(out, username, nil, key, credentials.passphrase)
        }
        if allowedTypes & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, username)
        }
        if allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let password = credentials.password {
            return git_credential_userpass_plaintext_new(out, username, password)
        }
        failure = GitError(.authentication, "\(url.redacted): authentication required, and the credentials file has none for this kind of remote")
        return GIT_EUSER.rawValue
    }

    private func check(_ cert: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String) -> Int32 {
        guard let cert else { return GIT_ECERTIFICATE.rawValue }
        switch cert.pointee.cert_type {
        case GIT_CERT_HOSTKEY_LIBSSH2:
            let hostkey = UnsafeRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
            guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey else {
                failure = GitError(.hostKey, "\(host): the SSH server's host key could not be read")
                return GIT_ECERTIFICATE.rawValue
            }
            let key = Data(bytes: raw, count: hostkey.hostkey_len)
            guard let knownHosts = auth.knownHosts else {
                failure = GitError(.hostKey, "\(host): refusing SSH host key \(KnownHosts.fingerprint(key)): no known_hosts file is configured")
                return GIT_ECERTIFICATE.rawValue
            }
            switch knownHosts.verify(host: host, port: url.port, key: key) {
            case .trusted:
                return 0
            case .unknown:
                failure = GitError(.hostKey, "\(KnownHosts.hostPattern(host, url.port)): unknown SSH host key \(KnownHosts.fingerprint(key)); add it to the known_hosts file if it is right")
            case .changed:
                failure = GitError(.hostKey, "\(KnownHosts.hostPattern(host, url.port)): SSH host key \(KnownHosts.fingerprint(key)) does not match the known_hosts file; refusing to connect (the key changed or the connection is intercepted)")
            }
            return GIT_ECERTIFICATE.rawValue
        default:
            // TLS: libgit2 has checked the chain against the trusted CAs.
            if valid { return 0 }
            failure = GitError(.hostKey, "\(host): the TLS certificate is not trusted (set caFile in the credentials file for a private CA)")
            return GIT_ECERTIFICATE.rawValue
        }
    }

    /// The error to report for a failed call: a callback's reason first.
    func error(_ code: Int32, doing action: String) -> GitError {
        failure ?? GitError.last(code, doing: action)
    }
}
