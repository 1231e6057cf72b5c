import CLMDB
import Glibc

/// An error reported by LMDB, or found by this wrapper while checking an environment.
///
/// The error names the operation that failed and carries LMDB's own message, so it can be shown
/// to a user as it is. Match on ``code`` to tell conditions apart:
///
/// ```swift
/// catch let error as LMDBError where error.code == LMDBError.mapFull { ... }
/// ```
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The LMDB function (or wrapper step) that failed, for example `mdb_put`.
    public let operation: String

    /// The LMDB return code: one of LMDB's `MDB_*` codes, or an `errno` value.
    public let code: Int32

    /// What the wrapper knows beyond LMDB's message, such as the path involved.
    public let detail: String?

    /// Creates an error for a failed operation.
    public init(operation: String, code: Int32, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    /// LMDB's description of ``code``, as `mdb_strerror` gives it.
    public var message: String {
        switch code {
        case Self.closed:
            return "the environment has been closed"
        case Self.truncated:
            return "the data file is shorter than the pages the environment uses"
        default:
            // LMDB's own messages start with the code's name; the description shows it once.
            let text = String(cString: mdb_strerror(code))
            let prefix = codeName + ": "
            return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
        }
    }

    /// The symbolic name of ``code`` (`MDB_MAP_FULL`, `EACCES`, ...) when it is a known one.
    public var codeName: String {
        Self.codeNames[code] ?? "code \(code)"
    }

    /// `"mdb_put failed: MDB_MAP_FULL: Environment mapsize limit reached"`, with the detail.
    public var description: String {
        var text = "\(operation) failed: \(codeName): \(message)"
        if let detail {
            text += " (\(detail))"
        }
        return text
    }

    /// A key or data item already exists and overwriting was not allowed.
    public static let keyExists = MDB_KEYEXIST
    /// The environment's map is full; the wrapper grows it and retries.
    public static let mapFull = MDB_MAP_FULL
    /// Another process grew the map; the wrapper adopts the new size and retries.
    public static let mapResized = MDB_MAP_RESIZED
    /// The file is not an LMDB environment.
    public static let invalid = MDB_INVALID
    /// The environment was written by an incompatible LMDB version.
    public static let versionMismatch = MDB_VERSION_MISMATCH
    /// The environment's pages are damaged.
    public static let corrupted = MDB_CORRUPTED
    /// A key or value is too large or empty.
    public static let badValueSize = MDB_BAD_VALSIZE
    /// The environment has been closed. (A code of the wrapper's own, outside LMDB's range.)
    public static let closed: Int32 = -30_000
    /// The data file is shorter than the environment records: it was truncated. (The wrapper's
    /// own code.)
    public static let truncated: Int32 = -30_001

    private static let codeNames: [Int32: String] = [
        MDB_KEYEXIST: "MDB_KEYEXIST",
        MDB_NOTFOUND: "MDB_NOTFOUND",
        MDB_PAGE_NOTFOUND: "MDB_PAGE_NOTFOUND",
        MDB_CORRUPTED: "MDB_CORRUPTED",
        MDB_PANIC: "MDB_PANIC",
        MDB_VERSION_MISMATCH: "MDB_VERSION_MISMATCH",
        MDB_INVALID: "MDB_INVALID",
        MDB_MAP_FULL: "MDB_MAP_FULL",
        MDB_DBS_FULL: "MDB_DBS_FULL",
        MDB_READERS_FULL: "MDB_READERS_FULL",
        MDB_TXN_FULL: "MDB_TXN_FULL",
        MDB_CURSOR_FULL: "MDB_CURSOR_FULL",
        MDB_PAGE_FULL: "MDB_PAGE_FULL",
        MDB_MAP_RESIZED: "MDB_MAP_RESIZED",
        MDB_INCOMPATIBLE: "MDB_INCOMPATIBLE",
        MDB_BAD_RSLOT: "MDB_BAD_RSLOT",
        MDB_BAD_TXN: "MDB_BAD_TXN",
        MDB_BAD_VALSIZE: "MDB_BAD_VALSIZE",
        MDB_BAD_DBI: "MDB_BAD_DBI",
        EACCES: "EACCES",
        EAGAIN: "EAGAIN",
        EBUSY: "EBUSY",
        EINVAL: "EINVAL",
        EIO: "EIO",
        ENOENT: "ENOENT",
        ENOMEM: "ENOMEM",
        ENOSPC: "ENOSPC",
        ENOTDIR: "ENOTDIR",
        EPERM: "EPERM",
        EROFS: "EROFS",
        closed: "CLOSED",
        truncated: "TRUNCATED",
    ]
}

/// Throws an ``LMDBError`` for any non-zero LMDB return code.
///
/// `MDB_NOTFOUND` is not special here: callers that treat it as absence check for it first.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if code != MDB_SUCCESS {
        throw LMDBError(operation: operation(), code: code)
    }
}
