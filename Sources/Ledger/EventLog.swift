import Dispatch
import Glibc
import LMDB
import Synchronization

/// The append-only event log of one ledger, stored in an LMDB environment in a directory.
///
/// One process at a time opens a ledger for writing; any number may open it read-only, also
/// while it is being written. Appends are durable when they return, and appends from many
/// callers at once share commits (group commit). Reads run concurrently with each other and with
/// appends, and see whole transactions only.
///
/// ```swift
/// let log = try EventLog.open(at: "./.syncledger")
/// defer { log.close() }
/// let result = try await log.append(AppendBatch([event]))
/// ```
public final class EventLog: Sendable {
    /// How a ledger is opened.
    public struct Options: Sendable {
        /// Open without writing; fails when there is no ledger yet. Defaults to `false`.
        public var readOnly: Bool = false

        /// Where recorded times come from. Defaults to the system clock.
        public var clock: any LedgerClock = SystemClock()

        /// The storage map to start from. The map grows by itself; this only matters to tests
        /// that want to see it grow. Defaults to 64 MiB.
        public var initialMapSize: Int = 64 << 20

        /// How often a follower checks for events appended by another process. Events appended
        /// through this `EventLog` wake followers at once. Defaults to 250 ms.
        public var followPollInterval: Duration = .milliseconds(250)

        /// Creates the default options.
        public init() {}
    }

    /// The format version of the ledger's databases, stored in its `meta` database.
    ///
    /// A ledger with a higher version was written by a newer build and is refused.
    public static let formatVersion: UInt8 = 1

    /// The directory the ledger lives in.
    public let path: String

    /// Whether the log was opened read-only.
    public let isReadOnly: Bool

    let store: LogStore
    let writer: LogWriter?
    let commits: CommitSignal
    let followPollInterval: Duration
    private let lock: DirectoryLockBox

    private init(
        path: String, store: LogStore, writer: LogWriter?, lock: DirectoryLock?,
        options: Options
    ) {
        self.path = path
        self.isReadOnly = options.readOnly
        self.store = store
        self.writer = writer
        self.commits = writer?.commits ?? CommitSignal()
        self.followPollInterval = options.followPollInterval
        self.lock = DirectoryLockBox(lock)
    }

    /// Opens the ledger in `directory`, creating the directory and an empty ledger unless
    /// read-only.
    ///
    /// Throws ``LedgerError``: ``LedgerError/Code/locked`` when another process has it open for
    /// writing, ``LedgerError/Code/notFound`` for a read-only open of a missing ledger,
    /// ``LedgerError/Code/notALedger`` for a directory holding something else,
    /// ``LedgerError/Code/newerFormat``, ``LedgerError/Code/permissionDenied`` and
    /// ``LedgerError/Code/corrupt`` as their names say.
    public static func open(at directory: String, options: Options = Options()) throws -> EventLog {
        let directory =
            directory.count > 1 && directory.hasSuffix("/")
            ? String(directory.dropLast()) : directory
        try prepareDirectory(directory, readOnly: options.readOnly)

        let lock = options.readOnly ? nil : try DirectoryLock(directory: directory)
        let store = try LogStore(directory: directory, options: options)
        let writer = options.readOnly ? nil : try LogWriter(store: store, clock: options.clock)
        return EventLog(path: directory, store: store, writer: writer, lock: lock, options: options)
    }

    /// Finishes pending appends, then closes the ledger and releases its directory.
    ///
    /// Calls made after it throw ``LedgerError/Code/closed``. Calling it twice is harmless.
    public func close() {
        writer?.close()
        store.environment.close()
        lock.release()
    }

    deinit {
        close()
    }

    private static func prepareDirectory(_ directory: String, readOnly: Bool) throws {
        var status = stat()
        if stat(directory, &status) != 0 {
            let code = errno
            guard code == ENOENT else {
                throw DirectoryLock.systemError(code, opening: directory)
            }
            if readOnly {
                throw LedgerError(
                    .notFound,
                    "there is no ledger at \(directory); pass --ledger or set SYNCLEDGER_LEDGER")
            }
            try makeDirectories(directory)
        } else if status.st_mode & S_IFMT != S_IFDIR {
            throw LedgerError(
                .notALedger, "\(directory) is a file, but a ledger is a directory")
        } else if readOnly && access(directory + "/data.mdb", F_OK) != 0 {
            let code = errno
            guard code == ENOENT else {
                throw DirectoryLock.systemError(code, opening: directory + "/data.mdb")
            }
            throw LedgerError(
                .notFound,
                "there is no ledger at \(directory) (the directory holds no data.mdb)")
        }
    }

    /// Creates `directory` and its missing parents.
    static func makeDirectories(_ directory: String) throws {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw DirectoryLock.systemError(errno, opening: path)
            }
        }
    }
}

/// Holds the directory lock until the log is closed; `Sendable` because the lock is only
/// released, once, under the mutex.
private final class DirectoryLockBox: Sendable {
    private let lock: Mutex<DirectoryLock?>

    init(_ lock: DirectoryLock?) {
        self.lock = Mutex(lock)
    }

    func release() {
        lock.withLock { $0 = nil }
    }
}
