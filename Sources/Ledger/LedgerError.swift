import Glibc
import LMDB

/// An error from the ledger, with a message a user can act on.
///
/// Match on ``code`` to tell failures apart; the message says what failed, why, and where
/// possible what to do. ``underlying`` holds the LMDB or system error behind it, if any.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String

        /// Another process holds the ledger for writing.
        public static let locked = Code(name: "locked")
        /// There is no ledger at the path (and it was opened read-only, so none was created).
        public static let notFound = Code(name: "notFound")
        /// The path holds something that is not a ledger.
        public static let notALedger = Code(name: "notALedger")
        /// The ledger was written by a newer format than this build reads.
        public static let newerFormat = Code(name: "newerFormat")
        /// The operating system refused access to the ledger's files.
        public static let permissionDenied = Code(name: "permissionDenied")
        /// The stored bytes are damaged: a file was truncated or an event does not decode.
        public static let corrupt = Code(name: "corrupt")
        /// An event uses a kind or encoding version this build does not know.
        public static let unsupportedEvent = Code(name: "unsupportedEvent")
        /// A record's stream was not at the version an append expected.
        public static let versionConflict = Code(name: "versionConflict")
        /// An event to append breaks a rule (an empty reference, an oversized body, ...).
        public static let invalidEvent = Code(name: "invalidEvent")
        /// The ledger has been closed.
        public static let closed = Code(name: "closed")
        /// A projection store belongs to another projection, or a projection could not apply
        /// an event.
        public static let projection = Code(name: "projection")
        /// The storage engine failed in a way not listed above.
        public static let storage = Code(name: "storage")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and why, for a person.
    public let message: String
    /// The LMDB or system error behind this one.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message.
    public var description: String { message }
}

extension LedgerError {
    /// Wraps an LMDB error met while working on the ledger at `path`, naming the condition.
    static func storage(_ error: LMDBError, path: String) -> LedgerError {
        switch error.code {
        case LMDBError.invalid, LMDBError.versionMismatch:
            return LedgerError(
                .notALedger,
                "\(path) does not hold an LMDB environment this build can read: \(error)",
                underlying: error)
        case LMDBError.corrupted, LMDBError.truncated:
            return LedgerError(
                .corrupt, "the ledger at \(path) is damaged: \(error)", underlying: error)
        case EACCES, EPERM, EROFS:
            return LedgerError(
                .permissionDenied,
                "permission denied for the ledger at \(path): \(error); "
                    + "check the directory's owner and mode",
                underlying: error)
        case LMDBError.closed:
            return LedgerError(.closed, "the ledger at \(path) has been closed", underlying: error)
        default:
            return LedgerError(
                .storage, "the ledger at \(path) failed: \(error)", underlying: error)
        }
    }
}
