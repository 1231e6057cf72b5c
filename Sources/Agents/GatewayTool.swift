import Ledger

/// The tools the agent gateway offers, with the JSON Schema of each one's arguments, as
/// `tools/list` shows them.
public enum GatewayTool: String, Sendable, CaseIterable {
    /// Finds records across systems by text, field values, kind or link.
    case searchRecords = "search_records"
    /// A record with its counterparts and each field's provenance.
    case getRecord = "get_record"
    /// The chain of events behind one field's value.
    case explainField = "explain_field"
    /// The conflicts met on linked fields.
    case listConflicts = "list_conflicts"
    /// The drift consistency audits found.
    case listAuditFindings = "list_audit_findings"
    /// Asks for a change to a record, written by the sync like any other.
    case proposeChange = "propose_change"

    /// Every tool's name, in catalogue order.
    public static let names = allCases.map(\.rawValue)

    /// A sentence for the agent choosing a tool.
    public var summary: String {
        switch self {
        case .searchRecords:
            "Search the records the ledger holds across systems (help desk tickets, tracker "
                + "issues) by text, exact field values, record kind or linked record."
        case .getRecord:
            "Get one record's fields, each with the event that set it, and its linked "
                + "counterparts in other systems."
        case .explainField:
            "Explain why a field holds its value: the observation, the sync rule and write that "
                + "carried it, and any conflict."
        case .listConflicts:
            "List conflicts: linked fields both systems changed since they last agreed, with "
                + "both values and the rule that resolved them."
        case .listAuditFindings:
            "List what consistency audits found: records or fields where the systems drifted "
                + "from the ledger."
        case .proposeChange:
            "Propose new values for fields of a record. The change is recorded in the ledger, "
                + "checked against the sync rules, and written by the next sync to the record "
                + "and its counterparts."
        }
    }

    /// The JSON Schema of the tool's arguments.
    public var inputSchema: Value {
        let reference: Value = [
            "type": "string",
            "description": "A record reference, connection:type/id, such as zendesk:ticket/42",
        ]
        let limit: Value = [
            "type": "integer", "minimum": 1, "maximum": 100,
            "description": "The most results to return (20 when left out).",
        ]
        switch self {
        case .searchRecords:
            return Self.object(
                [
                    "text": [
                        "type": "string",
                        "description": "Words any text field contains, ignoring case.",
                    ],
                    "where": [
                        "type": "object",
                        "description": "Fields that must hold exactly these values.",
                    ],
                    "records": [
                        "type": "string",
                        "description": "Only records of this kind, connection:type.",
                    ],
                    "linkedTo": [
                        "type": "string",
                        "description": "Only the counterparts of this record.",
                    ],
                    "limit": limit,
                ], required: [])
        case .getRecord:
            return Self.object(["record": reference], required: ["record"])
        case .explainField:
            return Self.object(
                ["record": reference, "field": ["type": "string"]], required: ["record", "field"])
        case .listConflicts, .listAuditFindings:
            return Self.object(["limit": limit], required: [])
        case .proposeChange:
            return Self.object(
                [
                    "record": reference,
                    "fields": [
                        "type": "object",
                        "description": "The fields to change, by name, with their new values.",
                    ],
                    "reason": [
                        "type": "string", "description": "Why, for the people who read the log.",
                    ],
                ], required: ["record", "fields"])
        }
    }

    /// Whether the tool only reads.
    public var readsOnly: Bool { self != .proposeChange }

    private static func object(_ properties: ValueObject, required: [String]) -> Value {
        [
            "type": "object", "properties": .object(properties),
            "required": .array(required.map(Value.string)), "additionalProperties": false,
        ]
    }
}
