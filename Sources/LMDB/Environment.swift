import CLMDB
import Glibc
import Synchronization

/// An LMDB environment: one directory holding a memory-mapped B-tree file and its lock file.
///
/// Readers run concurrently, each in its own read transaction; writers are serialised here, one
/// at a time. The map grows by itself: a write that fills it is rolled back, the map is enlarged
/// and the write runs again, so callers never choose a map size.
///
/// `@unchecked Sendable`: LMDB allows an environment handle to be shared between threads
/// (it is opened with `MDB_NOTLS`, so read transactions are not tied to a thread). The handle is
/// only replaced or released under the exclusive side of `gate`, and writes are serialised by
/// `writerLock`.
public final class Environment: @unchecked Sendable {
    /// How an environment is opened.
    public struct Options: Sendable {
        /// Open without writing: another process may be the writer. Defaults to `false`.
        public var readOnly: Bool = false

        /// The most named databases the environment may hold. Defaults to 16.
        public var maxDatabases: UInt32 = 16

        /// The most concurrent read transactions, across all processes. Defaults to 126.
        public var maxReaders: UInt32 = 126

        /// The map size to start from; the map grows past it on demand. Defaults to 64 MiB.
        ///
        /// An existing environment keeps its recorded size when that is larger.
        public var initialMapSize: Int = 64 << 20

        /// Whether each commit waits for the disk. Defaults to `true`.
        ///
        /// Without it (`MDB_NOSYNC`) commits return once their pages are written to the
        /// operating system, and ``sync()`` flushes them; a crash of the machine (not of the
        /// process) may then lose recent commits or damage the file. Only for data that can be
        /// rebuilt, such as a projection being replayed.
        public var syncsEachCommit = true

        /// Whether writes go straight into the memory map (`MDB_WRITEMAP`). Defaults to
        /// `false`.
        ///
        /// A large write transaction then keeps its changed pages in the file's own pages
        /// instead of in allocated memory, and a commit has nothing to copy; the price is that a
        /// stray write through a pointer into the map could damage the file, and nested
        /// transactions are not available. For stores that can be rebuilt.
        public var writesToMap = false

        /// Creates the default options.
        public init() {}
    }

    /// Where the environment lives.
    public let path: String

    /// Whether transactions may write.
    public let isReadOnly: Bool

    private let gate = ReadWriteLock()
    private let writerLock = ExclusiveLock()
    private let state: Mutex<State>

    private struct State {
        var handle: OpaquePointer?
        var mapSize: Int
        var growthCount: Int = 0
    }

    /// Opens (and, unless read-only, creates) the environment in the directory at `path`.
    ///
    /// The directory must exist. Throws ``LMDBError`` when the directory cannot be used, when
    /// its data file is not an LMDB environment, or when the file is shorter than the pages the
    /// environment records, which happens when a file was truncated.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.isReadOnly = options.readOnly

        try Self.checkDataFileLength(directory: path)

        var created: OpaquePointer?
        try check(mdb_env_create(&created), "mdb_env_create")
        guard let handle = created else {
            throw LMDBError(operation: "mdb_env_create", code: ENOMEM)
        }

        do {
            try check(
                mdb_env_set_maxdbs(handle, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try check(
                mdb_env_set_maxreaders(handle, options.maxReaders), "mdb_env_set_maxreaders")
            try check(
                mdb_env_set_mapsize(handle, options.initialMapSize), "mdb_env_set_mapsize")

            var flags = UInt32(MDB_NOTLS)
            if options.readOnly {
                flags |= UInt32(MDB_RDONLY)
            }
            if !options.syncsEachCommit {
                flags |= UInt32(MDB_NOSYNC)
            }
            if options.writesToMap && !options.readOnly {
                flags |= UInt32(MDB_WRITEMAP)
            }
            let opened = mdb_env_open(handle, path, flags, 0o644)
            if opened != MDB_SUCCESS {
                throw LMDBError(operation: "mdb_env_open", code: opened, detail: path)
            }

            // Reader slots left behind by processes that died are reclaimed here, so a crashed
            // process does not pin old pages forever.
            var stale: Int32 = 0
            try check(mdb_reader_check(handle, &stale), "mdb_reader_check")

            let info = try Self.info(of: handle)
            try Self.checkDataFileLength(directory: path, expected: info.usedBytes)
            state = Mutex(State(handle: handle, mapSize: info.mapSize))
        } catch {
            mdb_env_close(handle)
            throw error
        }
    }

    deinit {
        close()
    }

    /// Closes the environment, waiting for running transactions to finish.
    ///
    /// Later transactions throw an ``LMDBError`` with code ``LMDBError/closed``. Calling it
    /// twice is harmless.
    public func close() {
        gate.withExclusiveLock {
            state.withLock { state in
                if let handle = state.handle {
                    mdb_env_close(handle)
                    state.handle = nil
                }
            }
        }
    }

    /// How many times this process has grown the map.
    public var growthCount: Int {
        state.withLock { $0.growthCount }
    }

    /// The size of the map in bytes, as this process sees it.
    public var mapSize: Int {
        state.withLock { $0.mapSize }
    }

    // MARK: - Transactions

    /// Runs `body` in a read transaction and returns what it returns.
    ///
    /// The transaction sees the state committed when it began. Bytes handed to `body` as raw
    /// buffers are valid only inside it. Must not be called from inside another `read` or a
    /// `write` on the same thread.
    @discardableResult
    public func read<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        while true {
            let outcome: Attempt<R> = try gate.withSharedLock {
                let handle = try currentHandle()
                var transaction: OpaquePointer?
                let began = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
                if began == MDB_MAP_RESIZED {
                    return .retryAfterResize
                }
                try check(began, "mdb_txn_begin")
                defer { mdb_txn_abort(transaction) }
                return .done(try body(Transaction(pointer: transaction!, isReadOnly: true)))
            }
            switch outcome {
            case .done(let result):
                return result
            case .retryAfterResize:
                try adoptResizedMap()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it, durably, when `body` returns.
    ///
    /// Writers run one at a time. If the map fills up, the transaction is rolled back, the map
    /// is grown and `body` runs again from the start, so `body` must only change the database
    /// (or state it resets on entry). If `body` throws, nothing it wrote is kept.
    @discardableResult
    public func write<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        guard !isReadOnly else {
            throw LMDBError(
                operation: "mdb_txn_begin", code: EACCES, detail: "read-only environment")
        }
        return try writerLock.withLock {
            while true {
                do {
                    return try gate.withSharedLock {
                        let handle = try currentHandle()
                        var transaction: OpaquePointer?
                        try check(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin")
                        let result: R
                        do {
                            result = try body(
                                Transaction(pointer: transaction!, isReadOnly: false))
                        } catch {
                            mdb_txn_abort(transaction)
                            throw error
                        }
                        // A commit frees the transaction even when it fails: never abort after.
                        try check(mdb_txn_commit(transaction), "mdb_txn_commit")
                        return result
                    }
                } catch let error as LMDBError where error.code == LMDBError.mapFull {
                    try growMap()
                } catch let error as LMDBError where error.code == LMDBError.mapResized {
                    try adoptResizedMap()
                }
            }
        }
    }

    /// Flushes committed pages to the disk and waits for it; needed only when commits do not
    /// (``Options/syncsEachCommit`` is `false`).
    public func sync() throws {
        try gate.withSharedLock {
            try check(mdb_env_sync(try currentHandle(), 1), "mdb_env_sync")
        }
    }

    /// Opens the named databases, creating the missing ones when `create` is true.
    ///
    /// A database missing from a read-only environment, or one not created, is absent from the
    /// result. The handles stay valid until the environment closes.
    public func openDatabases(_ names: [String], create: Bool) throws -> [String: Database] {
        let writes = create && !isReadOnly
        return try gate.withSharedLock {
            let handle = try currentHandle()
            var transaction: OpaquePointer?
            let flags = writes ? 0 : UInt32(MDB_RDONLY)
            try check(mdb_txn_begin(handle, nil, flags, &transaction), "mdb_txn_begin")
            var databases: [String: Database] = [:]
            do {
                let opened = Transaction(pointer: transaction!, isReadOnly: !writes)
                for name in names {
                    databases[name] = try opened.openDatabase(named: name, create: writes)
                }
            } catch {
                mdb_txn_abort(transaction)
                throw error
            }
            // Handles opened in a transaction survive it only if it commits, read-only or not.
            try check(mdb_txn_commit(transaction), "mdb_txn_commit")
            return databases
        }
    }

    /// The number of entries in the environment's main database, where LMDB also lists the
    /// named databases; zero for a new environment.
    public func mainDatabaseEntries() throws -> Int {
        try read { transaction in
            guard let main = try transaction.openDatabase(named: nil) else { return 0 }
            return try transaction.statistics(of: main).entries
        }
    }

    // MARK: - Information

    /// Facts about the environment as a whole.
    public struct Info: Sendable {
        /// The map size in bytes.
        public var mapSize: Int
        /// The page size in bytes.
        public var pageSize: Int
        /// The number of the last page in use.
        public var lastPageNumber: Int
        /// The id of the last committed transaction.
        public var lastTransactionID: Int
        /// The reader slots in use, across processes.
        public var readers: Int
        /// The bytes of the data file in use: every page up to the last one.
        public var usedBytes: Int { (lastPageNumber + 1) * pageSize }
    }

    /// Reads the environment's current facts.
    public func info() throws -> Info {
        try gate.withSharedLock { try Self.info(of: try currentHandle()) }
    }

    // MARK: - Internals

    private enum Attempt<R> {
        case done(R)
        case retryAfterResize
    }

    private func currentHandle() throws(LMDBError) -> OpaquePointer {
        guard let handle = state.withLock({ $0.handle }) else {
            throw LMDBError(operation: "transaction", code: LMDBError.closed, detail: path)
        }
        return handle
    }

    /// Doubles the map up to 1 GiB, then grows it 1 GiB at a time.
    private func growMap() throws {
        try gate.withExclusiveLock {
            let handle = try currentHandle()
            let current = try Self.info(of: handle).mapSize
            let gigabyte = 1 << 30
            let grown = current < gigabyte ? current * 2 : current + gigabyte
            try check(mdb_env_set_mapsize(handle, grown), "mdb_env_set_mapsize")
            state.withLock { state in
                state.mapSize = grown
                state.growthCount += 1
            }
        }
    }

    /// Takes on the larger map another process has set.
    private func adoptResizedMap() throws {
        try gate.withExclusiveLock {
            let handle = try currentHandle()
            try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize")
            let size = try Self.info(of: handle).mapSize
            state.withLock { $0.mapSize = size }
        }
    }

    private static func info(of handle: OpaquePointer) throws(LMDBError) -> Info {
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "mdb_env_info")
        var stat = MDB_stat()
        try check(mdb_env_stat(handle, &stat), "mdb_env_stat")
        return Info(
            mapSize: info.me_mapsize,
            pageSize: Int(stat.ms_psize),
            lastPageNumber: info.me_last_pgno,
            lastTransactionID: info.me_last_txnid,
            readers: Int(info.me_numreaders)
        )
    }

    /// Refuses a data file shorter than the environment needs.
    ///
    /// LMDB maps the file into memory, so reading a page past the end of a truncated file would
    /// crash the process with `SIGBUS` instead of failing. A file shorter than the two meta pages
    /// would even be taken for a new, empty environment.
    private static func checkDataFileLength(directory: String, expected: Int? = nil) throws {
        let file = directory + "/data.mdb"
        var status = stat()
        guard stat(file, &status) == 0 else {
            return
        }
        let length = Int(status.st_size)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let needed = expected ?? 2 * pageSize
        if length < needed {
            throw LMDBError(
                operation: "mdb_env_open",
                code: LMDBError.truncated,
                detail: "\(file) is \(length) bytes but the environment needs \(needed); "
                    + "the file was truncated"
            )
        }
    }
}
