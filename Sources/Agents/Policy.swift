import Ledger

/// Who may do what through the agent gateway: the `agents` section of `syncledger.yaml`, as
/// written. ``PolicyReader`` reads one; ``PolicyDecisionPoint`` compiles it for deciding.
///
/// Everything is denied unless an `allow` rule grants it, and a `deny` rule that matches wins
/// over every `allow`. An agent acting for a user has that user's grants and attributes; rules
/// that name the agent itself add to them or, as `deny`, narrow them.
public struct AgentPolicy: Sendable, Hashable {
    /// The users and agents, in the order written.
    public var principals: [Principal]
    /// The rules, in the order written: the first that decides is the one reported.
    public var rules: [Rule]
    /// The call budgets, in the order written.
    public var budgets: [Budget]
    /// The fraction (0 to 1) of each connection's remaining provider quota that agents'
    /// proposed changes may spend, so that an agent loop cannot starve the sync.
    public var agentShare: Double

    /// Creates a policy.
    public init(
        principals: [Principal], rules: [Rule], budgets: [Budget] = [], agentShare: Double = 0.2
    ) {
        self.principals = principals
        self.rules = rules
        self.budgets = budgets
        self.agentShare = agentShare
    }

    /// A policy that knows no one: every call is denied.
    public static let empty = AgentPolicy(principals: [], rules: [])

    /// A user, or an agent acting for one.
    public struct Principal: Sendable, Hashable {
        /// The name a call is made under (`--principal`).
        public var name: String
        /// The user an agent acts for; `nil` for a user.
        public var actsFor: String?
        /// Named lists of values that row filters refer to as `$name`, such as a user's
        /// organisations.
        public var attributes: [String: [Value]]

        /// Creates a principal.
        public init(name: String, actsFor: String? = nil, attributes: [String: [Value]] = [:]) {
            self.name = name
            self.actsFor = actsFor
            self.attributes = attributes
        }
    }

    /// One grant or refusal.
    public struct Rule: Sendable, Hashable {
        /// Whether the rule grants or refuses.
        public enum Effect: String, Sendable, Hashable, CaseIterable {
            /// Grants what it matches.
            case allow
            /// Refuses what it matches, whatever else grants it.
            case deny
        }

        /// The rule's name, reported with every decision it makes.
        public var name: String
        /// Grant or refusal.
        public var effect: Effect
        /// The principals it applies to; `*` for all.
        public var principals: [String]
        /// The tools it applies to; `*` for all.
        public var tools: [String]
        /// The kind of record it applies to (`connection:type`, either part may be `*`); `nil`
        /// for every kind, and for calls that name no record.
        public var records: RecordKind?
        /// Row filters: a record matches when every condition holds.
        public var conditions: [Condition]
        /// Fields never shown to the principals it applies to, on the records it applies to.
        public var mask: [String]
        /// Fields those principals may change through `propose_change`; `*` for every field
        /// not masked.
        public var change: [String]

        /// Creates a rule.
        public init(
            name: String, effect: Effect = .allow, principals: [String], tools: [String],
            records: RecordKind? = nil, conditions: [Condition] = [], mask: [String] = [],
            change: [String] = []
        ) {
            self.name = name
            self.effect = effect
            self.principals = principals
            self.tools = tools
            self.records = records
            self.conditions = conditions
            self.mask = mask
            self.change = change
        }
    }

    /// A kind of record: a connection and a record type, either of which may be `*`.
    public struct RecordKind: Sendable, Hashable, CustomStringConvertible {
        /// The connection, or `*`.
        public var connection: String
        /// The record type, or `*`.
        public var recordType: String

        /// Creates a kind.
        public init(connection: String, recordType: String) {
            self.connection = connection
            self.recordType = recordType
        }

        /// Whether `record` is of this kind.
        public func contains(connection: String, recordType: String) -> Bool {
            (self.connection == "*" || self.connection == connection)
                && (self.recordType == "*" || self.recordType == recordType)
        }

        /// `zendesk:ticket`.
        public var description: String { "\(connection):\(recordType)" }
    }

    /// A row filter: the record's `field` holds one of the values allowed (for a list, one of
    /// its elements does). The field `id` is the record's id in its system.
    public struct Condition: Sendable, Hashable {
        /// The field the condition reads; `id` for the record's id.
        public var field: String
        /// What it must hold.
        public var allowed: Allowed

        /// Creates a condition.
        public init(field: String, allowed: Allowed) {
            self.field = field
            self.allowed = allowed
        }

        /// The values a condition allows.
        public enum Allowed: Sendable, Hashable {
            /// These values; a string ending in `*` allows every string it begins.
            case values([Value])
            /// The values of the principal's attribute of this name (its user's, for an agent).
            case attribute(String)
        }
    }

    /// A rate budget for calls: at most `calls` per `period` for each principal it names.
    public struct Budget: Sendable, Hashable {
        /// The principals it applies to, each with a budget of its own; `*` for all.
        public var principals: [String]
        /// The tools whose calls it counts together; `*` for all.
        public var tools: [String]
        /// The calls allowed per period.
        public var calls: Int
        /// The period.
        public var period: Duration

        /// Creates a budget.
        public init(principals: [String], tools: [String], calls: Int, period: Duration) {
            self.principals = principals
            self.tools = tools
            self.calls = calls
            self.period = period
        }
    }
}

/// The answer to one question put to the policy: allowed or not, the rule that decided, and a
/// reason fit to show the agent (it never quotes a record's data).
public struct Decision: Sendable, Hashable, CustomStringConvertible {
    /// Whether the call may go ahead.
    public var allowed: Bool
    /// The rule that decided: a rule's name, or `default` when no rule granted it.
    public var rule: String
    /// Why, in a sentence.
    public var reason: String

    /// Creates a decision.
    public init(allowed: Bool, rule: String, reason: String) {
        self.allowed = allowed
        self.rule = rule
        self.reason = reason
    }

    /// `allow (rule support-tickets)` or `deny (rule default): …`.
    public var description: String {
        allowed ? "allow (rule \(rule))" : "deny (rule \(rule)): \(reason)"
    }
}
