import Agents
import Foundation
import Ledger
import Mapping

/// `syncledger check`: validates a configuration file without touching any API.
struct CheckCommand: Command {
    static let name = "check"
    static let summary = "Check a configuration file without touching any API."
    static let usage = "check [FILE] [--json]"
    static let discussion = """
        Reads FILE (default syncledger.yaml) and reports every problem at once, one a line,
        as file:line:column: what was found and what was expected. Exits 0 when the file is
        good and 1 when it has problems or cannot be read.

        Examples:
          syncledger check
          syncledger check config/prod.yaml --json
        """
    static let options: [OptionSpec] = [.flag("json", "Print one JSON object.")]

    let path: String
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        path = arguments.positionals.first ?? "syncledger.yaml"
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        guard let text = ConfigurationSource.read(path) else {
            return ExitStatus.failure
        }
        do {
            let file = try ConfigurationSource.checked(text, path: path)
            let configuration = file.configuration
            if json {
                Output.line(
                    Value.object([
                        "file": .string(path), "valid": true, "digest": .string(file.digest),
                        "problems": [],
                    ]).json)
            } else {
                let fields = configuration.pairs.reduce(0) {
                    $0 + $1.fields.count + $1.derived.count
                }
                Output.line(
                    "\(path): no problems: \(configuration.connections.count) connections, "
                        + "\(configuration.pairs.count) pairs, \(fields) fields")
            }
            return ExitStatus.success
        } catch {
            if json {
                let problems: [Value] = error.problems.map { problem in
                    [
                        "line": .integer(Int64(problem.line)),
                        "column": .integer(Int64(problem.column)),
                        "message": .string(problem.message),
                    ]
                }
                Output.line(
                    Value.object([
                        "file": .string(path), "valid": false, "problems": .array(problems),
                    ]).json)
            } else {
                for problem in error.problems {
                    Output.line(problem.description)
                }
                let count = error.problems.count
                Output.error("\(path): \(count) problem\(count == 1 ? "" : "s")")
            }
            return ExitStatus.failure
        }
    }
}

/// Reading a configuration file's text, with a clear error when it cannot be read.
enum ConfigurationSource {
    /// The text of `path`, or `nil` after saying on standard error why it cannot be read.
    static func read(_ path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path) else {
            Output.error("\(path): no such file; syncledger init writes a starter one")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            Output.error("\(path): cannot be read")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            Output.error("\(path): not UTF-8 text")
            return nil
        }
        return text
    }

    /// `text` read as a configuration, its `agents` section (the agent gateway's policy)
    /// checked too; the problems of both, in the order of the file.
    static func checked(_ text: String, path: String) throws(ConfigurationProblems)
        -> ConfigurationFile
    {
        var problems: [ConfigurationProblem] = []
        var file: ConfigurationFile?
        do {
            file = try ConfigurationFile(text: text, path: path)
        } catch {
            problems = error.problems
        }
        do {
            _ = try PolicyReader.policy(text: text, path: path)
        } catch {
            problems += error.problems.filter { !problems.contains($0) }
        }
        guard let file, problems.isEmpty else {
            throw ConfigurationProblems(
                problems: problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return file
    }

    /// The configuration file at `path`, or `nil` after saying why not: each of its problems
    /// on standard output, then `<path> has problems` and `consequence` on standard error.
    static func file(_ path: String, consequence: String) -> ConfigurationFile? {
        guard let text = read(path) else {
            return nil
        }
        do {
            return try checked(text, path: path)
        } catch {
            for problem in error.problems {
                Output.line(problem.description)
            }
            Output.error("\(path) has problems\(consequence)")
            return nil
        }
    }
}
