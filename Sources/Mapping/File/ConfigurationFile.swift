import Ledger
import YAML

/// One problem in a configuration file: where, what was found, what was expected.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as given.
    public let file: String
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int
    /// What is wrong and what would be right.
    public let message: String

    /// Creates a problem.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `syncledger.yaml:12:9: unknown key 'authorty' in a field of pair 'support'; did you
    /// mean 'authority'?`
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A configuration file that has problems: every one of them, in the order of the file.
public struct ConfigurationProblems: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, by line and column.
    public let problems: [ConfigurationProblem]

    /// Gathers `problems`.
    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A `syncledger.yaml` read and checked, without touching any API.
///
/// Reading reports every problem at once, each with its file, line and column, what was found
/// and what was expected: a file that is not YAML, an unknown key (with the nearest known
/// one), a value of the wrong type, a missing key, a pair naming a connection that is not
/// declared or a record type its provider lacks, a field mapped twice on one side, an
/// authority rule naming a system outside its pair, a value map that does not cover the
/// values a field is known to take, and a mapping that cannot be read backwards where values
/// flow backwards. `docs/configuration.md` describes the file.
public struct ConfigurationFile: Sendable, Hashable {
    /// The path the file was read from, as given.
    public let path: String
    /// The file's text.
    public let text: String
    /// What it declares.
    public let configuration: Configuration

    /// The SHA-256 digest of the text, in lower-case hexadecimal: what `configApplied`
    /// records beside the content.
    public var digest: String {
        Digest.sha256(text.utf8).description
    }

    /// The YAML document of `text`, read from `path`; `nil` for an empty text. Text that is
    /// not YAML is one problem, at the place the YAML reader stopped.
    public static func document(of text: String, path: String) throws(ConfigurationProblems)
        -> YAMLNode?
    {
        do {
            return try YAMLReader.document(of: text)
        } catch {
            throw ConfigurationProblems(problems: [
                ConfigurationProblem(
                    file: path, line: error.line, column: error.column,
                    message: "not YAML: \(error.reason)")
            ])
        }
    }

    /// Reads and checks `text`, read from `path`.
    public init(text: String, path: String) throws(ConfigurationProblems) {
        guard let root = try Self.document(of: text, path: path) else {
            throw ConfigurationProblems(problems: [
                ConfigurationProblem(
                    file: path, line: 1, column: 1,
                    message: "the file is empty; expected 'connections' and 'pairs'")
            ])
        }
        var reader = ConfigurationReader(file: path)
        let configuration = reader.configuration(root)
        guard reader.problems.isEmpty, let configuration else {
            let sorted = reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            throw ConfigurationProblems(problems: sorted)
        }
        self.path = path
        self.text = text
        self.configuration = configuration
    }
}

extension ConfigurationFile {
    /// The `configApplied` event that puts this file in force: the configuration the
    /// projections apply (custom fields resolved through `ids`), the file's path, its text and
    /// its digest, so that the log says exactly what was in force and from where.
    public func appliedEvent(
        resolving ids: [CustomFieldReference: String] = [:]
    ) throws(UnresolvedFieldError) -> NewEvent {
        let sync = try configuration.syncConfiguration(resolving: ids)
        var resolved: [Value] = []
        for (reference, id) in ids.sorted(by: {
            ($0.key.connection, $0.key.name) < ($1.key.connection, $1.key.name)
        }) {
            resolved.append([
                "connection": .string(reference.connection), "name": .string(reference.name),
                "id": .string(id),
            ])
        }
        return NewEvent(
            kind: .configApplied, record: nil,
            body: [
                "configuration": sync.value, "file": .string(path), "digest": .string(digest),
                "content": .string(text), "customFields": .array(resolved),
            ])
    }
}
