import Ledger

/// A policy compiled for deciding in microseconds: each principal's rules resolved once (its
/// user's grants and attributes folded in, `$attribute` filters turned into value sets) and
/// indexed by tool, so a decision reads a handful of rules and never allocates.
public struct PolicyDecisionPoint: Sendable {
    /// The policy it was compiled from.
    public let policy: AgentPolicy
    private let principals: [String: CompiledPrincipal]

    /// Compiles `policy`.
    public init(_ policy: AgentPolicy) {
        self.policy = policy
        var compiled: [String: CompiledPrincipal] = [:]
        let users = Dictionary(
            policy.principals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for principal in policy.principals {
            compiled[principal.name] = CompiledPrincipal(
                principal, users: users, rules: policy.rules)
        }
        principals = compiled
    }

    /// Whether `principal` is known.
    public func knows(_ principal: String) -> Bool {
        principals[principal] != nil
    }

    /// May `principal` call `tool` at all? Row filters are not applied here: a call the answer
    /// allows may still find no record it may see.
    public func decide(principal: String, tool: String) -> Decision {
        guard let compiled = principals[principal] else {
            return Self.unknown(principal)
        }
        let rules = compiled.rules(for: tool)
        for rule in rules where rule.isDeny && rule.kind == nil && rule.conditions.isEmpty {
            return Decision(
                allowed: false, rule: rule.name, reason: "\(principal) may not call \(tool)")
        }
        if let rule = rules.first(where: { !$0.isDeny }) {
            return Decision(allowed: true, rule: rule.name, reason: "granted")
        }
        return Decision(
            allowed: false, rule: "default", reason: "no rule lets \(principal) call \(tool)")
    }

    /// May `principal` reach `record` through `tool`? `field` gives the record's field values,
    /// for row filters; with `changing`, the fields a proposed change would set, each of which
    /// the granting rule must let the principal change.
    public func decide(
        principal: String, tool: String, record: RecordReference, changing: [String] = [],
        field: (String) -> Value?
    ) -> Decision {
        guard let compiled = principals[principal] else {
            return Self.unknown(principal)
        }
        let rules = compiled.rules(for: tool)
        var granting: CompiledRule?
        for rule in rules where rule.applies(to: record) && rule.matches(record, field: field) {
            if rule.isDeny {
                return Decision(
                    allowed: false, rule: rule.name,
                    reason: "\(principal) may not use \(tool) on \(record)")
            }
            // The first grant, unless a later one lets the principal change what it asks to.
            if let first = granting,
                changing.isEmpty || first.mayChange(changing)
                    || !rule.mayChange(changing)
            {
                continue
            }
            granting = rule
        }
        guard let granting else {
            return Decision(
                allowed: false, rule: "default",
                reason: "no rule lets \(principal) use \(tool) on \(record)")
        }
        if !changing.isEmpty {
            let masked = compiled.mask(for: record)
            let refused = changing.filter { masked.contains($0) || !granting.mayChange([$0]) }
            if !refused.isEmpty {
                return Decision(
                    allowed: false, rule: granting.name,
                    reason: "\(principal) may not change \(refused.joined(separator: ", ")) "
                        + "of \(record)")
            }
        }
        return Decision(allowed: true, rule: granting.name, reason: "granted")
    }

    /// The fields of `record` that `principal` may never see: every mask of every rule that
    /// applies to the principal and the record's kind, whatever the tool.
    public func mask(principal: String, record: RecordReference) -> Set<String> {
        principals[principal]?.mask(for: record) ?? []
    }

    private static func unknown(_ principal: String) -> Decision {
        Decision(
            allowed: false, rule: "principals",
            reason: "'\(principal)' is not a principal of this ledger's policy")
    }
}

/// One principal's rules, by tool.
private struct CompiledPrincipal: Sendable {
    /// The rules naming each tool (rules for every tool included), in the order written.
    var byTool: [String: [CompiledRule]]
    /// The rules for every tool, for a tool no rule names.
    var anyTool: [CompiledRule]
    /// Every rule naming the principal, whatever its tools: the masks come from these.
    var all: [CompiledRule]

    init(
        _ principal: AgentPolicy.Principal, users: [String: AgentPolicy.Principal],
        rules: [AgentPolicy.Rule]
    ) {
        let user = principal.actsFor.flatMap { users[$0] }
        let names = Set([principal.name, "*"] + (user.map { [$0.name] } ?? []))
        // An agent's own attributes first, then its user's.
        var attributes = user?.attributes ?? [:]
        attributes.merge(principal.attributes) { _, own in own }
        all = rules.filter { !names.isDisjoint(with: $0.principals) }.map {
            CompiledRule($0, attributes: attributes)
        }
        anyTool = all.filter { $0.tools.contains("*") }
        var byTool: [String: [CompiledRule]] = [:]
        for rule in all {
            for tool in rule.tools where tool != "*" && byTool[tool] == nil {
                byTool[tool] = all.filter { $0.tools.contains(tool) || $0.tools.contains("*") }
            }
        }
        self.byTool = byTool
    }

    func rules(for tool: String) -> [CompiledRule] {
        byTool[tool] ?? anyTool
    }

    func mask(for record: RecordReference) -> Set<String> {
        var masked: Set<String> = []
        for rule in all where !rule.mask.isEmpty && rule.applies(to: record) {
            masked.formUnion(rule.mask)
        }
        return masked
    }
}

/// A rule with its attributes resolved.
private struct CompiledRule: Sendable {
    let name: String
    let isDeny: Bool
    let tools: [String]
    let kind: AgentPolicy.RecordKind?
    let conditions: [CompiledCondition]
    let mask: Set<String>
    let change: Set<String>
    let changesAny: Bool

    init(_ rule: AgentPolicy.Rule, attributes: [String: [Value]]) {
        name = rule.name
        isDeny = rule.effect == .deny
        tools = rule.tools
        kind = rule.records
        conditions = rule.conditions.map { condition in
            switch condition.allowed {
            case .values(let values):
                return CompiledCondition(field: condition.field, values: values)
            case .attribute(let attribute):
                // An attribute the principal lacks allows nothing.
                return CompiledCondition(
                    field: condition.field, values: attributes[attribute] ?? [])
            }
        }
        mask = Set(rule.mask)
        change = Set(rule.change)
        changesAny = rule.change.contains("*")
    }

    func applies(to record: RecordReference) -> Bool {
        kind?.contains(connection: record.connection, recordType: record.recordType) ?? true
    }

    func matches(_ record: RecordReference, field: (String) -> Value?) -> Bool {
        for condition in conditions {
            let value = condition.field == "id" ? .string(record.remoteID) : field(condition.field)
            guard let value, condition.allows(value) else {
                return false
            }
        }
        return true
    }

    func mayChange(_ fields: [String]) -> Bool {
        changesAny || fields.allSatisfy(change.contains)
    }
}

/// A row filter with its values ready to compare without allocating: integers apart, and
/// every integer also as its digits, so `101` and `"101"` are the same organisation whichever
/// way a system spells it.
private struct CompiledCondition: Sendable {
    let field: String
    let integers: Set<Int64>
    let strings: Set<String>
    let prefixes: [String]

    init(field: String, values: [Value]) {
        self.field = field
        var integers: Set<Int64> = []
        var strings: Set<String> = []
        var prefixes: [String] = []
        for value in values {
            switch value {
            case .integer(let integer):
                integers.insert(integer)
                strings.insert(String(integer))
            case .string(let text) where text.hasSuffix("*"):
                prefixes.append(String(text.dropLast()))
            case .string(let text):
                strings.insert(text)
                if let integer = Int64(text) {
                    integers.insert(integer)
                }
            case .bool(let bool):
                strings.insert(bool ? "true" : "false")
            case .decimal:
                strings.insert(value.json)
            case .null, .array, .object:
                // Matches nothing: a filter compares scalars.
                break
            }
        }
        self.integers = integers
        self.strings = strings
        self.prefixes = prefixes
    }

    func allows(_ value: Value) -> Bool {
        switch value {
        case .integer(let integer):
            return integers.contains(integer)
        case .string(let text):
            return strings.contains(text) || prefixes.contains { text.hasPrefix($0) }
        case .bool(let bool):
            return strings.contains(bool ? "true" : "false")
        case .decimal:
            return strings.contains(value.json)
        case .array(let elements):
            return elements.contains { allows($0) }
        case .null, .object:
            return false
        }
    }
}
