/// An option a command accepts, and how its help describes it.
struct OptionSpec {
    /// The long name without dashes, such as `ledger`.
    let name: String
    /// The placeholder for its value, such as `PATH`; `nil` for a flag that takes none.
    let valueName: String?
    /// One line of help.
    let help: String
    /// Whether it may be given more than once.
    var repeatable = false

    static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help)
    }

    static func value(_ name: String, _ valueName: String, _ help: String, repeatable: Bool = false)
        -> OptionSpec
    {
        OptionSpec(name: name, valueName: valueName, help: help, repeatable: repeatable)
    }

    /// The option every command takes: where the ledger is.
    static let ledger = OptionSpec.value(
        "ledger", "PATH", "The ledger directory (default: $SYNCLEDGER_LEDGER, or ./.syncledger).")
}

/// Bad usage: unknown options, missing values, malformed arguments. Exits with 64.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    let command: String

    var description: String {
        "\(message)\nSee 'syncledger \(command) --help'."
    }
}

/// A command line split into options and positional arguments, checked against the specs.
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    let command: String

    /// Parses `words` (the arguments after the command name).
    ///
    /// Accepts `--name value`, `--name=value`, and `--` to end options.
    init(_ words: [String], specs: [OptionSpec], command: String) throws(UsageError) {
        self.command = command
        var index = 0
        var optionsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            guard !optionsEnded, word.hasPrefix("-"), word != "-" else {
                positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            guard word.hasPrefix("--") else {
                throw UsageError(
                    message: "unknown option '\(word)'; options are spelled out, as in --ledger",
                    command: command)
            }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = specs.first(where: { $0.name == name }) else {
                var message = "unknown option '--\(name)' for 'syncledger \(command)'"
                if let suggestion = Self.closest(to: name, among: specs.map(\.name)) {
                    message += "; did you mean '--\(suggestion)'?"
                }
                throw UsageError(message: message, command: command)
            }
            guard let valueName = spec.valueName else {
                if inlineValue != nil {
                    throw UsageError(message: "'--\(name)' takes no value", command: command)
                }
                flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < words.count {
                value = words[index]
                index += 1
            } else {
                throw UsageError(
                    message: "'--\(name)' needs a value: --\(name) \(valueName)", command: command)
            }
            if !spec.repeatable && values[name] != nil {
                throw UsageError(message: "'--\(name)' is given more than once", command: command)
            }
            values[name, default: []].append(value)
        }
    }

    func flag(_ name: String) -> Bool {
        flags.contains(name)
    }

    func value(_ name: String) -> String? {
        values[name]?.last
    }

    func all(_ name: String) -> [String] {
        values[name] ?? []
    }

    /// The value of `name` parsed by `parse`, or `nil` when the option is absent.
    func value<T>(_ name: String, as what: String, _ parse: (String) -> T?) throws(UsageError) -> T?
    {
        guard let text = value(name) else {
            return nil
        }
        guard let parsed = parse(text) else {
            throw UsageError(message: "'--\(name) \(text)': expected \(what)", command: command)
        }
        return parsed
    }

    /// Refuses positional arguments beyond `allowed`.
    func expectPositionals(atMost allowed: Int) throws(UsageError) {
        if positionals.count > allowed {
            throw UsageError(
                message: "unexpected argument '\(positionals[allowed])'", command: command)
        }
    }

    /// The ledger directory: `--ledger`, else `$SYNCLEDGER_LEDGER`, else `./.syncledger`.
    func ledgerPath(environment: [String: String]) -> String {
        if let path = value("ledger") {
            return path
        }
        if let path = environment["SYNCLEDGER_LEDGER"], !path.isEmpty {
            return path
        }
        return ".syncledger"
    }

    /// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else {
            return nil
        }
        return best.0
    }

    private static func editDistance(_ left: String, _ right: String) -> Int {
        let left = Array(left)
        let right = Array(right)
        var previous = Array(0...right.count)
        for (i, leftCharacter) in left.enumerated() {
            var current = [i + 1]
            for (j, rightCharacter) in right.enumerated() {
                let substitution = previous[j] + (leftCharacter == rightCharacter ? 0 : 1)
                current.append(min(substitution, previous[j + 1] + 1, current[j] + 1))
            }
            previous = current
        }
        return previous[right.count]
    }
}
