import Ledger
import Mapping
import YAML

/// Reads the `agents` section of a `syncledger.yaml` into an ``AgentPolicy``, reporting every
/// problem with its line and column. `docs/agents.md` describes the section.
public enum PolicyReader {
    /// The policy of the configuration file `text` (read from `path`); ``AgentPolicy/empty``
    /// when the file has no `agents` section.
    public static func policy(text: String, path: String) throws(ConfigurationProblems)
        -> AgentPolicy
    {
        guard let section = try ConfigurationFile.document(of: text, path: path)?["agents"] else {
            return .empty
        }
        var reader = SectionReader(file: path)
        let policy = reader.policy(section)
        guard reader.problems.isEmpty else {
            throw ConfigurationProblems(
                problems: reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return policy
    }
}

/// Walks the section's nodes, collecting problems rather than stopping at the first.
private struct SectionReader {
    let file: String
    var problems: [ConfigurationProblem] = []

    init(file: String) {
        self.file = file
    }

    mutating func report(_ node: YAMLNode, _ message: String) {
        problems.append(
            ConfigurationProblem(file: file, line: node.line, column: node.column, message: message)
        )
    }

    mutating func policy(_ node: YAMLNode) -> AgentPolicy {
        let entries = mapping(
            node, "'agents'", allowed: ["principals", "rules", "budgets", "agentShare"])
        var principals: [AgentPolicy.Principal] = []
        if let list = entries["principals"], case .mapping(let members) = list.kind {
            for (key, value) in members {
                if let name = key.text, !name.isEmpty {
                    principals.append(principal(value, named: name))
                }
            }
        } else if let list = entries["principals"] {
            report(list, "agents.principals must be a mapping of names to principals")
        }
        let names = Set(principals.map(\.name))
        for (index, principal) in principals.enumerated() {
            guard let user = principal.actsFor else {
                continue
            }
            let node = entries["principals"]?[principal.name]?["actsFor"] ?? node
            if !names.contains(user) {
                report(node, "\(principal.name) acts for '\(user)', who is not a principal")
            } else if principals.first(where: { $0.name == user })?.actsFor != nil {
                report(node, "\(principal.name) acts for '\(user)', who is an agent, not a user")
            }
            principals[index] = principal
        }
        var rules: [AgentPolicy.Rule] = []
        for (index, element) in list(entries["rules"], "agents.rules").enumerated() {
            if let rule = rule(element, at: index, principals: names) {
                if rules.contains(where: { $0.name == rule.name }) {
                    report(element, "a second rule named '\(rule.name)'")
                }
                rules.append(rule)
            }
        }
        var budgets: [AgentPolicy.Budget] = []
        for element in list(entries["budgets"], "agents.budgets") {
            if let budget = budget(element, principals: names) {
                budgets.append(budget)
            }
        }
        var share = 0.2
        if let node = entries["agentShare"] {
            if let text = node.text, let value = Double(text), value >= 0, value <= 1 {
                share = value
            } else {
                report(node, "agents.agentShare must be a fraction from 0 to 1, such as 0.2")
            }
        }
        return AgentPolicy(
            principals: principals, rules: rules, budgets: budgets, agentShare: share)
    }

    mutating func principal(_ node: YAMLNode, named name: String) -> AgentPolicy.Principal {
        let what = "principal '\(name)'"
        let entries = mapping(node, what, allowed: ["actsFor", "attributes"])
        var principal = AgentPolicy.Principal(name: name, actsFor: entries["actsFor"]?.text)
        if let node = entries["attributes"] {
            for (key, value) in mapping(node, "the attributes of \(what)", allowed: nil).entries {
                guard let attribute = key.text else {
                    continue
                }
                switch value.value {
                case .array(let values): principal.attributes[attribute] = values
                case .object, .null:
                    report(value, "attribute '\(attribute)' of \(what) must be a value or a list")
                case let single: principal.attributes[attribute] = [single]
                }
            }
        }
        return principal
    }

    mutating func rule(_ node: YAMLNode, at index: Int, principals: Set<String>)
        -> AgentPolicy.Rule?
    {
        let entries = mapping(
            node, "agents.rules[\(index)]",
            allowed: [
                "name", "effect", "principals", "tools", "records", "where", "mask", "change",
            ])
        guard let name = entries["name"]?.text, !name.isEmpty else {
            report(node, "agents.rules[\(index)] needs a 'name', reported with its decisions")
            return nil
        }
        let what = "rule '\(name)'"
        var rule = AgentPolicy.Rule(
            name: name,
            principals: names(entries["principals"], in: node, "the principals of \(what)"),
            tools: names(entries["tools"], in: node, "the tools of \(what)"))
        if let node = entries["effect"] {
            if let effect = node.text.flatMap(AgentPolicy.Rule.Effect.init(rawValue:)) {
                rule.effect = effect
            } else {
                report(node, "the effect of \(what) must be allow or deny")
            }
        }
        check(rule.principals, known: principals, node: entries["principals"] ?? node, what)
        for tool in rule.tools where tool != "*" && !GatewayTool.names.contains(tool) {
            report(
                entries["tools"] ?? node,
                "\(what) names the tool '\(tool)'; the tools are "
                    + GatewayTool.names.joined(separator: ", "))
        }
        if let node = entries["records"] {
            let parts = node.text?.split(separator: ":", omittingEmptySubsequences: false)
            if let parts, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
                rule.records = AgentPolicy.RecordKind(
                    connection: String(parts[0]), recordType: String(parts[1]))
            } else {
                report(
                    node, "the records of \(what) must read connection:type, such as zendesk:ticket"
                )
            }
        }
        if let node = entries["where"] {
            for (key, value) in mapping(node, "the row filter of \(what)", allowed: nil).entries {
                guard let field = key.text, !field.isEmpty else {
                    continue
                }
                if let text = value.text, text.hasPrefix("$"), text.count > 1 {
                    rule.conditions.append(
                        AgentPolicy.Condition(
                            field: field, allowed: .attribute(String(text.dropFirst()))))
                } else if case .array(let values) = value.value {
                    rule.conditions.append(
                        AgentPolicy.Condition(field: field, allowed: .values(values)))
                } else if case .object = value.value {
                    report(
                        value,
                        "the filter on '\(field)' in \(what) must be a value, a list or $attribute")
                } else {
                    rule.conditions.append(
                        AgentPolicy.Condition(field: field, allowed: .values([value.value])))
                }
            }
        }
        rule.mask = names(entries["mask"], in: node, "the mask of \(what)", required: false)
        rule.change = names(
            entries["change"], in: node, "the changeable fields of \(what)", required: false)
        return rule
    }

    mutating func budget(_ node: YAMLNode, principals: Set<String>) -> AgentPolicy.Budget? {
        let entries = mapping(
            node, "a budget", allowed: ["principals", "tools", "calls", "per"])
        let who = names(entries["principals"], in: node, "the principals of a budget")
        check(who, known: principals, node: entries["principals"] ?? node, "a budget")
        let tools = names(entries["tools"], in: node, "the tools of a budget", required: false)
        guard let callsNode = entries["calls"], let calls = callsNode.text.flatMap({ Int($0) }),
            calls > 0
        else {
            report(entries["calls"] ?? node, "a budget needs 'calls', a whole number above 0")
            return nil
        }
        let periods: [String: Duration] = [
            "1s": .seconds(1), "1m": .seconds(60), "1h": .seconds(3600), "1d": .seconds(86_400),
        ]
        guard let perNode = entries["per"], let period = perNode.text.flatMap({ periods[$0] })
        else {
            report(entries["per"] ?? node, "a budget needs 'per': 1s, 1m, 1h or 1d")
            return nil
        }
        return AgentPolicy.Budget(
            principals: who, tools: tools.isEmpty ? ["*"] : tools, calls: calls, period: period)
    }

    // MARK: Shapes

    struct Entries {
        var entries: [(key: YAMLNode, value: YAMLNode)] = []

        subscript(name: String) -> YAMLNode? {
            entries.first { $0.key.text == name }?.value
        }
    }

    /// The entries of a mapping node, reporting keys outside `allowed` (when given).
    mutating func mapping(_ node: YAMLNode, _ what: String, allowed: [String]?) -> Entries {
        guard case .mapping(let entries) = node.kind else {
            report(node, "\(what) must be a mapping")
            return Entries()
        }
        if let allowed {
            for (key, _) in entries where !allowed.contains(key.text ?? "") {
                var message = "unknown key '\(key.text ?? key.value.json)' in \(what)"
                if let nearest = Suggestion.nearest(key.text ?? "", in: allowed) {
                    message += "; did you mean '\(nearest)'?"
                } else {
                    message += "; expected one of \(allowed.joined(separator: ", "))"
                }
                report(key, message)
            }
        }
        return Entries(entries: entries)
    }

    mutating func list(_ node: YAMLNode?, _ what: String) -> [YAMLNode] {
        guard let node else {
            return []
        }
        guard case .sequence(let elements) = node.kind else {
            report(node, "\(what) must be a list")
            return []
        }
        return elements
    }

    /// A name or a list of names; `required` reports a missing one.
    mutating func names(
        _ node: YAMLNode?, in parent: YAMLNode, _ what: String, required: Bool = true
    ) -> [String] {
        guard let node else {
            if required {
                report(parent, "\(what) are missing")
            }
            return []
        }
        let elements: [YAMLNode]
        if case .sequence(let list) = node.kind {
            elements = list
        } else {
            elements = [node]
        }
        return elements.compactMap { element in
            guard let text = element.text, !text.isEmpty else {
                report(element, "\(what) must be names")
                return nil
            }
            return text
        }
    }

    mutating func check(_ names: [String], known: Set<String>, node: YAMLNode, _ what: String) {
        for name in names where name != "*" && !known.contains(name) {
            report(node, "\(what) names '\(name)', who is not a principal")
        }
    }
}
