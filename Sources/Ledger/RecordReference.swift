/// The record an event concerns: a connection, a record type, and the provider's id for it.
///
/// Written `connection:recordType/remoteID`, for example `zendesk:ticket/42` or
/// `jira:issue/10001`. The connection is the configured name of one account at one provider;
/// the remote id is whatever the provider calls the record, so it may contain any character,
/// including `/` and `:`.
public struct RecordReference: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The configured name of the account the record lives in, such as `zendesk`.
    public let connection: String
    /// The kind of record at that provider, such as `ticket` or `issue`.
    public let recordType: String
    /// The provider's id for the record.
    public let remoteID: String

    /// The longest a reference may be, in UTF-8 bytes of its three parts together.
    ///
    /// LMDB keys are limited to 511 bytes, and a record's stream is keyed by its reference.
    public static let maximumLength = 480

    /// Creates a reference; see ``validate()`` for what makes one usable.
    public init(connection: String, recordType: String, remoteID: String) {
        self.connection = connection
        self.recordType = recordType
        self.remoteID = remoteID
    }

    /// Parses `connection:recordType/remoteID`. Returns `nil` when a part is missing or
    /// the reference breaks a rule of ``validate()``.
    @inlinable
    public init?(_ text: some StringProtocol) {
        self.init(utf8: text.utf8)
    }

    /// Parses `connection:recordType/remoteID` from its UTF-8 bytes, as a stored key holds it.
    /// Returns `nil` when a part is missing, the bytes are not UTF-8, or the reference breaks
    /// a rule of ``validate()``.
    ///
    /// The parts are split at the first `:` and the first `/` after it, byte by byte: neither
    /// may appear in the connection or the type, so no other split could be valid.
    @inlinable
    public init?(utf8 bytes: some Collection<UInt8>) {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            return nil
        }
        let rest = bytes[bytes.index(after: colon)...]
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else {
            return nil
        }
        let remoteID = rest[rest.index(after: slash)...]
        func isName(_ part: some Collection<UInt8>) -> Bool {
            !part.isEmpty
                && !part.contains { $0 == 0 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
        }
        guard isName(bytes[..<colon]), isName(rest[..<slash]), !remoteID.isEmpty,
            bytes.count - 2 <= Self.maximumLength,
            let connection = String(validating: bytes[..<colon], as: UTF8.self),
            let recordType = String(validating: rest[..<slash], as: UTF8.self),
            let remote = String(validating: remoteID, as: UTF8.self)
        else {
            return nil
        }
        self.init(connection: connection, recordType: recordType, remoteID: remote)
    }

    /// `connection:recordType/remoteID`.
    public var description: String {
        "\(connection):\(recordType)/\(remoteID)"
    }

    /// Checks that every part is non-empty, that the connection and type hold no `:`, `/` or
    /// NUL, and that the whole fits ``maximumLength``.
    ///
    /// Throws ``LedgerError`` with code ``LedgerError/Code/invalidEvent`` saying which rule.
    public func validate() throws {
        for (part, value) in [("connection", connection), ("record type", recordType)] {
            if value.isEmpty {
                throw LedgerError(.invalidEvent, "record reference \(self): the \(part) is empty")
            }
            if value.utf8.contains(where: {
                $0 == 0 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/")
            }) {
                throw LedgerError(
                    .invalidEvent,
                    "record reference \(self): the \(part) may not contain ':', '/' or NUL")
            }
        }
        if remoteID.isEmpty {
            throw LedgerError(.invalidEvent, "record reference \(self): the remote id is empty")
        }
        let length = connection.utf8.count + recordType.utf8.count + remoteID.utf8.count
        if length > Self.maximumLength {
            throw LedgerError(
                .invalidEvent,
                "record reference \(self.description.prefix(60))...: \(length) bytes, "
                    + "more than the \(Self.maximumLength) allowed")
        }
    }

    /// Compares the three parts by their UTF-8 bytes, without Unicode normalisation, so
    /// records whose ids differ only in how an accent is encoded stay apart.
    public static func == (lhs: RecordReference, rhs: RecordReference) -> Bool {
        lhs.connection.utf8.elementsEqual(rhs.connection.utf8)
            && lhs.recordType.utf8.elementsEqual(rhs.recordType.utf8)
            && lhs.remoteID.utf8.elementsEqual(rhs.remoteID.utf8)
    }

    /// Hashes consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        for part in [connection, recordType, remoteID] {
            hasher.combine(part.utf8.count)
            for byte in part.utf8 {
                hasher.combine(byte)
            }
        }
    }

    /// Orders references by connection, then type, then remote id, as bytes.
    public static func < (lhs: RecordReference, rhs: RecordReference) -> Bool {
        for (left, right) in [
            (lhs.connection, rhs.connection), (lhs.recordType, rhs.recordType),
            (lhs.remoteID, rhs.remoteID),
        ] {
            let order = ValueObject.compare(left, right)
            if order != 0 {
                return order < 0
            }
        }
        return false
    }
}
