import Glibc

/// An exclusive hold on a ledger directory for one writing process, through `flock`.
///
/// LMDB itself lets several processes write one environment in turn; the ledger does not,
/// because its writer keeps state between transactions (the next position, recorded times).
/// The lock file holds the holder's process id so the error can name it. The kernel releases
/// the lock when the process dies, however it dies.
final class DirectoryLock: Sendable {
    static let fileName = "syncledger.lock"

    private let descriptor: Int32

    /// Takes the lock on `directory`, or throws ``LedgerError`` with code
    /// ``LedgerError/Code/locked`` naming the holder.
    init(directory: String) throws {
        let path = directory + "/" + Self.fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Self.systemError(errno, opening: path)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK {
                let who = holder.map { "process \($0)" } ?? "another process"
                throw LedgerError(
                    .locked,
                    "the ledger at \(directory) is locked by \(who); stop it or pass a "
                        + "different --ledger")
            }
            throw Self.systemError(code, opening: path)
        }
        self.descriptor = descriptor

        let pid = Array("\(getpid())\n".utf8)
        ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 32, 0) }
        guard count > 0 else {
            return nil
        }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return text.split(separator: "\n").first.flatMap { Int32($0) }
    }

    static func systemError(_ code: Int32, opening path: String) -> LedgerError {
        let reason = String(cString: strerror(code))
        if code == EACCES || code == EPERM || code == EROFS {
            return LedgerError(
                .permissionDenied,
                "cannot open \(path): \(reason); check the directory's owner and mode")
        }
        return LedgerError(.storage, "cannot open \(path): \(reason) (errno \(code))")
    }
}
