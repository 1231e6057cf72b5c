import Ledger
import Reconcile
import YAML

/// The values some fields of each provider are known to take, so that a value map can be
/// checked for coverage before anything runs.
enum KnownValues {
    static func of(_ field: FieldName?, in records: RecordSet?, provider: Connection.Provider?)
        -> [Value]?
    {
        guard let name = field?.plainName, let records, let provider else {
            return nil
        }
        let table: [String: [Value]]
        switch (provider, records.recordType) {
        case (.zendesk, "ticket"):
            table = [
                "status": ["new", "open", "pending", "hold", "solved", "closed"],
                "priority": ["urgent", "high", "normal", "low"],
                "type": ["problem", "incident", "question", "task"],
            ]
        case (.jira, "issue"):
            table = [
                "priority": ["Highest", "High", "Medium", "Low", "Lowest"],
                "status": ["To Do", "In Progress", "Done"],
                "issuetype": ["Task", "Bug", "Story", "Epic"],
            ]
        default:
            return nil
        }
        return table[name]
    }
}

extension ConfigurationReader {
    /// `values` (left value → right value), with `default` and `reverse`.
    mutating func valueMap(
        _ node: YAMLNode, _ field: Entries, names: [Side: FieldName], authority: AuthorityRule,
        in pair: PairContext
    ) -> ValueMap {
        let what = "the value map of \(names[.left]?.description ?? "a field") in \(pair.name)"
        guard let forward = valuePairs(node, what) else {
            return ValueMap()
        }
        var defaults: [Side: Value] = [:]
        if let node = field["default"] {
            switch node.kind {
            case .scalar:
                defaults[.right] = node.value
            case .mapping:
                if let sides = mapping(
                    node, "the default of \(what)", allowed: ["left", "right"], required: [])
                {
                    for side in Side.allCases {
                        defaults[side] = sides[side.rawValue]?.value
                    }
                }
            case .sequence:
                report(
                    node,
                    "the default of \(what) must be a value, or a mapping with left and right, found a list"
                )
            }
        }
        var backward = forward.map { ($0.1, $0.0) }
        if let node = field["reverse"], let pairs = valuePairs(node, "the reverse of \(what)") {
            backward = pairs.map { ($0.0, $0.1) }
        } else {
            // Read backwards, a right value reached from two left values is ambiguous.
            var firstFrom: [Value: YAMLNode] = [:]
            var ambiguous: [Value] = []
            for (left, right, position) in forward {
                if firstFrom[right] != nil {
                    ambiguous.append(right)
                } else {
                    firstFrom[right] = position
                }
                _ = left
            }
            let flowsBack = authority != .owner(.left) || pair.direction != .leftToRight
            if flowsBack, let first = ambiguous.first {
                report(
                    node,
                    "\(what) maps several left values to \(first.json), so it cannot be read backwards; give 'reverse' (right value: left value), or make the left side the owner with direction leftToRight"
                )
            }
            var seen: [Value] = []
            backward = backward.filter { pair in
                defer { seen.append(pair.0) }
                return !seen.contains(pair.0)
            }
        }
        checkCoverage(
            node, what, covered: forward.map(\.0), side: .left, field: names[.left],
            hasDefault: defaults[.right] != nil, in: pair)
        checkCoverage(
            node, what, covered: backward.map(\.0), side: .right, field: names[.right],
            hasDefault: defaults[.left] != nil, in: pair)
        return ValueMap(
            forward: forward.map { ($0.0, $0.1) }, backward: backward,
            leftDefault: defaults[.left], rightDefault: defaults[.right])
    }

    /// A mapping of values to values, each key once.
    mutating func valuePairs(_ node: YAMLNode, _ what: String) -> [(Value, Value, YAMLNode)]? {
        guard let entries = mapping(node, what) else {
            return nil
        }
        var pairs: [(Value, Value, YAMLNode)] = []
        for (key, value) in entries.entries {
            guard case .scalar = value.kind else {
                report(value, "\(what) maps each value to a single value, found \(describe(value))")
                continue
            }
            if !pairs.contains(where: { $0.0 == key.value }) {
                pairs.append((key.value, value.value, value))
            }
        }
        return pairs
    }

    /// Without a default, a map must list every value the field is known to take.
    mutating func checkCoverage(
        _ node: YAMLNode, _ what: String, covered: [Value], side: Side, field: FieldName?,
        hasDefault: Bool, in pair: PairContext
    ) {
        let records = pair.records(on: side)
        let provider = records.flatMap { connections[$0.connection] ?? nil }
        guard !hasDefault, let known = KnownValues.of(field, in: records, provider: provider)
        else {
            return
        }
        let missing = known.filter { !covered.contains($0) }
        if !missing.isEmpty, let field {
            let list = missing.map(\.json).joined(separator: ", ")
            let target = side == .left ? "right" : "left"
            report(
                node,
                "\(what) does not cover \(list), which \(field) on the \(side.rawValue) can hold; map them, or give a default for the \(target)"
            )
        }
    }

    /// A field written from a constant or a template: one of `left` or `right`, and one of
    /// `constant` or `template`.
    mutating func derivedField(_ node: YAMLNode, _ entries: Entries, in pair: inout PairContext)
        -> DerivedDeclaration?
    {
        let what = "a constant or template field of \(pair.name)"
        if entries["constant"] != nil, let template = entries["template"] {
            report(template, "\(what) has both 'constant' and 'template'; give one")
            return nil
        }
        let sides = Side.allCases.filter { entries[$0.rawValue] != nil }
        guard sides.count == 1, let side = sides.first, let target = entries[side.rawValue] else {
            report(
                node, "\(what) names the field it writes as 'left' or 'right', exactly one of them")
            return nil
        }
        for key in ["authority", "values", "default", "reverse", "format"] {
            if let extra = entries[key] {
                report(
                    extra,
                    "'\(key)' does not apply to \(what), which is only written when a counterpart is created"
                )
            }
        }
        guard let name = fieldName(target, side: side, in: &pair) else {
            return nil
        }
        if let constant = entries["constant"] {
            return DerivedDeclaration(side: side, field: name, source: .constant(constant.value))
        }
        guard let node = entries["template"], let template = string(node, "the template of \(what)")
        else {
            return nil
        }
        for reference in DerivedField.references(in: template) where reference.isEmpty {
            report(
                node, "the template '\(template)' has an empty {}; write {field} or {{ for a brace")
        }
        return DerivedDeclaration(side: side, field: name, source: .template(template))
    }
}
