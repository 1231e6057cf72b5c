/// The JSON forms of events: one object per event, as `syncledger log --json` prints them and
/// `syncledger append` reads them.
extension Event {
    /// The event as one line of JSON, members in a fixed order:
    /// `seq`, `id`, `kind`, `record`, `version`, `recordedAt`, `upstreamAt`, `causation`, `body`.
    ///
    /// `record`, `version` and `upstreamAt` are left out when the event has none. A kind this
    /// build does not know prints as `unknown(<code>)`.
    public var jsonLine: String {
        var line = "{\"seq\":\(sequence.rawValue),\"id\":\"\(id)\",\"kind\":"
        Value.writeJSONString(kind.description, to: &line)
        if let record {
            line += ",\"record\":"
            Value.writeJSONString(record.description, to: &line)
            line += ",\"version\":\(streamVersion)"
        }
        line += ",\"recordedAt\":\"\(recordedAt)\""
        if let upstreamAt {
            line += ",\"upstreamAt\":\"\(upstreamAt)\""
        }
        line += ",\"causation\":["
        line += causation.map { "\"\($0)\"" }.joined(separator: ",")
        line += "],\"body\":"
        body.writeJSON(to: &line)
        line += "}"
        return line
    }
}

extension NewEvent {
    /// The members a JSON event to append may have.
    public static let jsonMembers = ["id", "kind", "record", "upstreamAt", "causation", "body"]

    /// Reads an event to append from a JSON object.
    ///
    /// `kind` is required; `id` defaults to a fresh one, `body` to an empty object. Throws
    /// ``LedgerError`` with code ``LedgerError/Code/invalidEvent`` naming the member at fault.
    /// Members listed in `extraMembers` are allowed and ignored, for callers that read more.
    public init(json: Value, extraMembers: Set<String> = []) throws {
        guard let object = json.objectValue else {
            throw LedgerError(.invalidEvent, "an event must be a JSON object")
        }
        for key in object.keys where !Self.jsonMembers.contains(key) && !extraMembers.contains(key)
        {
            throw LedgerError(
                .invalidEvent,
                "unknown member \"\(key)\"; an event has "
                    + (Self.jsonMembers + extraMembers.sorted()).joined(separator: ", "))
        }

        guard let kindName = object["kind"]?.stringValue else {
            throw LedgerError(.invalidEvent, "\"kind\" is required and must be a string")
        }
        guard let kind = EventKind(name: kindName) else {
            throw LedgerError(
                .invalidEvent,
                "\"kind\": unknown kind \"\(kindName)\"; expected one of "
                    + EventKind.allKnown.map(\.description).joined(separator: ", "))
        }

        var id = EventID.generate()
        if let member = object["id"] {
            guard let text = member.stringValue, let parsed = EventID(text) else {
                throw LedgerError(
                    .invalidEvent,
                    "\"id\" must be a UUID such as 0191e2f4-7c3a-7b21-9f00-12ab34cd56ef")
            }
            id = parsed
        }

        var record: RecordReference?
        if let member = object["record"], member != .null {
            guard let text = member.stringValue else {
                throw LedgerError(
                    .invalidEvent, "\"record\" must be a string such as zendesk:ticket/42")
            }
            guard let parsed = RecordReference(text) else {
                throw LedgerError(
                    .invalidEvent,
                    "\"record\": \"\(text)\" is not a record reference such as zendesk:ticket/42")
            }
            record = parsed
        }

        var upstreamAt: Timestamp?
        if let member = object["upstreamAt"], member != .null {
            guard let text = member.stringValue, let parsed = Timestamp(rfc3339: text) else {
                throw LedgerError(
                    .invalidEvent,
                    "\"upstreamAt\" must be an RFC 3339 time such as 2026-12-03T15:24:01Z")
            }
            upstreamAt = parsed
        }

        var causation: [EventID] = []
        if let member = object["causation"] {
            guard let elements = member.arrayValue else {
                throw LedgerError(.invalidEvent, "\"causation\" must be an array of event ids")
            }
            for element in elements {
                guard let text = element.stringValue, let cause = EventID(text) else {
                    throw LedgerError(
                        .invalidEvent, "\"causation\" holds \(element.json), not an event id")
                }
                causation.append(cause)
            }
        }

        let body = object["body"] ?? .object(ValueObject())
        if body.nestingDepth > Value.maximumDepth {
            throw LedgerError(
                .invalidEvent, "\"body\" nests deeper than \(Value.maximumDepth) levels")
        }
        self.init(
            id: id, kind: kind, record: record, upstreamAt: upstreamAt, causation: causation,
            body: body)
    }
}
