/// What an event says happened. Stored as one byte.
///
/// Readers meet kinds by code. A code this build does not know (written by a newer build)
/// still decodes, as a kind whose ``isKnown`` is false, so tools can report it instead of
/// failing.
public struct EventKind: Sendable, Hashable, CustomStringConvertible {
    /// The byte stored in the event.
    public let code: UInt8

    /// Creates the kind with the given code, known or not.
    public init(code: UInt8) {
        self.code = code
    }

    /// A system reported a record's fields.
    public static let observed = EventKind(code: 1)
    /// A system reported a record gone.
    public static let deleted = EventKind(code: 2)
    /// A record in one system is the counterpart of a record in another.
    public static let linked = EventKind(code: 3)
    /// Two records are no longer counterparts.
    public static let unlinked = EventKind(code: 4)
    /// The ledger will write fields or create a record.
    public static let writeIntended = EventKind(code: 5)
    /// A write the ledger intended succeeded.
    public static let writeSucceeded = EventKind(code: 6)
    /// A write the ledger intended failed.
    public static let writeFailed = EventKind(code: 7)
    /// A mapping and authority configuration came into force.
    public static let configApplied = EventKind(code: 8)
    /// A poller's checkpoint moved.
    public static let cursorAdvanced = EventKind(code: 9)
    /// A connection was authorised, refreshed, revoked or needs re-authorisation.
    public static let connectionChanged = EventKind(code: 10)
    /// An agent called a tool.
    public static let agentActed = EventKind(code: 11)
    /// A consistency audit found drift.
    public static let auditFound = EventKind(code: 12)

    /// Every kind this build knows, in code order.
    public static let allKnown: [EventKind] = [
        .observed, .deleted, .linked, .unlinked, .writeIntended, .writeSucceeded, .writeFailed,
        .configApplied, .cursorAdvanced, .connectionChanged, .agentActed, .auditFound,
    ]

    private static let names = [
        "observed", "deleted", "linked", "unlinked", "writeIntended", "writeSucceeded",
        "writeFailed", "configApplied", "cursorAdvanced", "connectionChanged", "agentActed",
        "auditFound",
    ]

    /// Finds a known kind by its name, such as `observed`.
    public init?(name: some StringProtocol) {
        guard let index = Self.names.firstIndex(where: { $0 == name }) else {
            return nil
        }
        self.init(code: UInt8(index + 1))
    }

    /// Whether this build knows the kind.
    public var isKnown: Bool {
        code >= 1 && Int(code) <= Self.names.count
    }

    /// The kind's name, or `unknown(<code>)`.
    public var description: String {
        isKnown ? Self.names[Int(code) - 1] : "unknown(\(code))"
    }
}
