import Ledger

/// An `agentActed` event: an agent (or a user through one) called a tool of the agent
/// gateway, and the policy decided. Every call is one, allowed or denied; an allowed
/// `propose_change` carries the change, which the sync projection folds into what the record
/// and its counterparts should hold.
public struct AgentAction: Sendable, Hashable {
    /// The principal the call was made under.
    public var principal: String
    /// The user the principal acts for, when it is an agent.
    public var actsFor: String?
    /// The tool called.
    public var tool: String
    /// The SHA-256 of the arguments' canonical encoding: what was asked, without repeating it.
    public var argumentsDigest: String
    /// Whether the call went ahead.
    public var allowed: Bool
    /// The policy rule (or budget) that decided.
    public var rule: String
    /// Why, as the agent was told.
    public var reason: String
    /// For an allowed `propose_change`: the fields to set on the event's record.
    public var change: ValueObject?

    /// Creates an action.
    public init(
        principal: String, actsFor: String? = nil, tool: String, argumentsDigest: String,
        allowed: Bool, rule: String, reason: String, change: ValueObject? = nil
    ) {
        self.principal = principal
        self.actsFor = actsFor
        self.tool = tool
        self.argumentsDigest = argumentsDigest
        self.allowed = allowed
        self.rule = rule
        self.reason = reason
        self.change = change
    }

    /// The event to append; `record` is the record the call named, if it named one.
    public func event(_ record: RecordReference?, id: EventID = .generate()) -> NewEvent {
        var body: ValueObject = [
            "principal": .string(principal), "tool": .string(tool),
            "arguments": .string(argumentsDigest), "decision": .string(allowed ? "allow" : "deny"),
            "rule": .string(rule), "reason": .string(reason),
        ]
        if let actsFor {
            body["actsFor"] = .string(actsFor)
        }
        if let change {
            body["change"] = .object(change)
        }
        return NewEvent(id: id, kind: .agentActed, record: record, body: .object(body))
    }

    /// Reads the body of an `agentActed` event.
    public init(_ event: Event) throws {
        let body = BodyReader(event)
        principal = try body.string("principal")
        actsFor = try body.encodedString("actsFor")
        tool = try body.string("tool")
        argumentsDigest = try body.string("arguments")
        switch try body.string("decision") {
        case "allow": allowed = true
        case "deny": allowed = false
        default: throw body.damaged("decision", "expected allow or deny")
        }
        rule = try body.string("rule")
        reason = try body.encodedString("reason") ?? ""
        change = body.optional("change") == nil ? nil : try body.object("change")
        if change != nil, !allowed || event.record == nil {
            throw body.damaged("change", "only an allowed call on a record carries a change")
        }
    }
}
