import Ledger
import Reconcile
import YAML

/// Walks a configuration's YAML nodes, building the ``Configuration`` and collecting every
/// problem on the way rather than stopping at the first.
struct ConfigurationReader {
    let file: String
    var problems: [ConfigurationProblem] = []
    /// The connections declared so far, by name, with their providers where those read; a
    /// connection with other problems still counts as declared, so that pairs naming it are
    /// not reported too.
    var connections: [String: Connection.Provider?] = [:]

    init(file: String) {
        self.file = file
    }

    mutating func report(_ node: YAMLNode, _ message: String) {
        problems.append(
            ConfigurationProblem(file: file, line: node.line, column: node.column, message: message)
        )
    }

    // MARK: - The file

    mutating func configuration(_ root: YAMLNode) -> Configuration? {
        guard
            let entries = mapping(
                // `agents` is the agent gateway's, which reads it itself.
                root, "the configuration", allowed: ["connections", "pairs", "retry", "agents"],
                required: ["connections", "pairs"])
        else {
            return nil
        }
        var declared: [Connection] = []
        if let node = entries["connections"], let list = mapping(node, "'connections'") {
            for (key, value) in list.entries {
                guard let name = identifier(key, "a connection's name") else {
                    continue
                }
                let connection = connection(value, named: name)
                connections[name] = connection?.provider ?? providerIfReadable(value)
                if let connection {
                    declared.append(connection)
                }
            }
        }
        var pairs: [PairDeclaration] = []
        if let node = entries["pairs"], let list = sequence(node, "'pairs'", of: "pairs") {
            var names: [String: YAMLNode] = [:]
            for element in list {
                if let name = element["name"], let text = name.text, !text.isEmpty {
                    if let earlier = names[text] {
                        report(
                            name,
                            "a second pair named '\(text)'; the first is at \(earlier.position)")
                    }
                    names[text] = name
                }
                if let pair = pair(element) {
                    pairs.append(pair)
                }
            }
        }
        var retry = Configuration.RetrySettings()
        if let node = entries["retry"] {
            retry = retrySettings(node)
        }
        return Configuration(connections: declared, pairs: pairs, retry: retry)
    }

    mutating func retrySettings(_ node: YAMLNode) -> Configuration.RetrySettings {
        var settings = Configuration.RetrySettings()
        guard
            let entries = mapping(
                node, "'retry'", allowed: ["attempts", "baseDelay", "maxDelay", "maxWait"],
                required: [])
        else {
            return settings
        }
        if let node = entries["attempts"], let text = string(node, "retry.attempts") {
            if let count = Int(text), (1...20).contains(count) {
                settings.attempts = count
            } else {
                report(node, "retry.attempts is '\(text)'; expected a whole number from 1 to 20")
            }
        }
        for (key, path) in [
            ("baseDelay", \Configuration.RetrySettings.baseDelay),
            ("maxDelay", \.maximumDelay), ("maxWait", \.maximumWait),
        ] {
            if let node = entries[key] {
                settings[keyPath: path] = duration(node, "retry.\(key)", milliseconds: true)
            }
        }
        return settings
    }

    mutating func connection(_ node: YAMLNode, named name: String) -> Connection? {
        let what = "connection '\(name)'"
        guard
            let entries = mapping(
                node, what,
                allowed: [
                    "provider", "baseURL", "auth", "credential", "project", "webhookSecret",
                    "pollEvery",
                ],
                required: ["provider", "baseURL", "auth", "credential"])
        else {
            return nil
        }
        let provider = entries["provider"].flatMap {
            choice($0, "the provider of \(what)", Connection.Provider.self)
        }
        var baseURL = entries["baseURL"].flatMap { string($0, "the baseURL of \(what)") }
        if let url = baseURL, let node = entries["baseURL"],
            !(url.hasPrefix("https://") || url.hasPrefix("http://"))
        {
            report(node, "the baseURL of \(what) is '\(url)'; expected an http:// or https:// URL")
            baseURL = nil
        }
        let auth = entries["auth"].flatMap {
            choice($0, "the auth of \(what)", Connection.AuthKind.self)
        }
        let credential = entries["credential"].flatMap {
            string($0, "the credential of \(what) (its name in the vault)")
        }
        let project = entries["project"].flatMap { string($0, "the project of \(what)") }
        if provider == .jira, project == nil, entries["project"] == nil {
            report(
                node,
                "\(what) is a Jira connection and needs 'project', the key of the project issues are created in"
            )
        }
        if provider == .zendesk, let node = entries["project"] {
            report(node, "'project' is for Jira connections; \(what) is a Zendesk connection")
        }
        var webhookSecret: String?
        if let node = entries["webhookSecret"],
            let text = string(node, "the webhookSecret of \(what)")
        {
            if text.hasPrefix("vault:"), text.count > "vault:".count {
                webhookSecret = String(text.dropFirst("vault:".count))
            } else {
                report(
                    node,
                    "the webhookSecret of \(what) must name a secret in the vault, such as vault:zendesk-webhook; never write the secret itself here"
                )
            }
        }
        let pollEvery = entries["pollEvery"].flatMap { duration($0, "the pollEvery of \(what)") }
        guard let provider, let baseURL, let auth, let credential else {
            return nil
        }
        return Connection(
            name: name, provider: provider, baseURL: baseURL, auth: auth, credential: credential,
            project: project, webhookSecret: webhookSecret, pollEvery: pollEvery)
    }

    /// The provider a connection names, when it names a known one, without reporting.
    func providerIfReadable(_ node: YAMLNode) -> Connection.Provider? {
        node["provider"]?.text.flatMap(Connection.Provider.init(rawValue:))
    }

    // MARK: - Shapes

    /// The entries of a mapping node, looked up by key text.
    struct Entries {
        var entries: [(key: YAMLNode, value: YAMLNode)]

        subscript(name: String) -> YAMLNode? {
            entries.first { $0.key.text == name }?.value
        }
    }

    /// The entries of `node` when it is a mapping. (A key given twice never gets here: the
    /// YAML reader refuses it.)
    mutating func mapping(_ node: YAMLNode, _ what: String) -> Entries? {
        guard case .mapping(let entries) = node.kind else {
            report(node, "\(what) must be a mapping, found \(describe(node))")
            return nil
        }
        return Entries(entries: entries)
    }

    /// The entries of `node` when it is a mapping, reporting unknown keys (with the nearest
    /// known one) and missing required ones.
    mutating func mapping(
        _ node: YAMLNode, _ what: String, allowed: [String], required: [String]
    ) -> Entries? {
        guard let entries = mapping(node, what) else {
            return nil
        }
        for (key, _) in entries.entries {
            let name = key.text ?? key.value.json
            if !allowed.contains(name) {
                var message = "unknown key '\(name)' in \(what)"
                if let suggestion = Suggestion.nearest(name, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; expected one of \(allowed.joined(separator: ", "))"
                }
                report(key, message)
            }
        }
        for name in required where entries[name] == nil {
            report(node, "\(what) is missing '\(name)'")
        }
        return entries
    }

    mutating func sequence(_ node: YAMLNode, _ what: String, of items: String) -> [YAMLNode]? {
        guard case .sequence(let elements) = node.kind else {
            report(node, "\(what) must be a list of \(items), found \(describe(node))")
            return nil
        }
        return elements
    }

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let text, _) = node.kind, !text.isEmpty else {
            report(node, "\(what) must be a non-empty string, found \(describe(node))")
            return nil
        }
        return text
    }

    mutating func identifier(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = string(node, what) else {
            return nil
        }
        let allowed = text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "_"
        }
        guard allowed else {
            report(node, "\(what) is '\(text)'; expected letters, digits, '-' and '_' only")
            return nil
        }
        return text
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: YAMLNode, _ what: String, _ type: Choice.Type
    ) -> Choice? where Choice.RawValue == String {
        guard let text = string(node, what) else {
            return nil
        }
        if let chosen = Choice(rawValue: text) {
            return chosen
        }
        let choices = Choice.allCases.map(\.rawValue)
        var message = "\(what) is '\(text)'; expected one of \(choices.joined(separator: ", "))"
        if let suggestion = Suggestion.nearest(text, in: choices) {
            message += " (did you mean '\(suggestion)'?)"
        }
        report(node, message)
        return nil
    }

    /// `30s`, `5m`, `1h`; and `250ms` where `milliseconds` allows it.
    mutating func duration(_ node: YAMLNode, _ what: String, milliseconds: Bool = false)
        -> Duration?
    {
        guard let text = string(node, what) else {
            return nil
        }
        if milliseconds, text.hasSuffix("ms"), let count = Int64(text.dropLast(2)), count > 0,
            count <= 86_400_000
        {
            return .milliseconds(count)
        }
        let seconds: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
        guard let unit = text.last, let scale = seconds[unit], let count = Int64(text.dropLast()),
            count > 0, count <= 86_400
        else {
            let examples = milliseconds ? "250ms, 30s, 5m or 1h" : "30s, 5m or 1h"
            report(node, "\(what) is '\(text)'; expected a duration such as \(examples)")
            return nil
        }
        return .seconds(count * scale)
    }

    func describe(_ node: YAMLNode) -> String {
        switch node.kind {
        case .scalar(let text, _): text.isEmpty ? "nothing" : "'\(text)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}
