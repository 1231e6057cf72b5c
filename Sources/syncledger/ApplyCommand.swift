import Engine
import Foundation
import Ledger
import Mapping
import Reconcile

/// `syncledger apply`: puts a configuration file in force by recording it in the ledger.
struct ApplyCommand: Command {
    static let name = "apply"
    static let summary = "Check a configuration file and record it in the ledger as in force."
    static let usage = "apply [FILE] [--field CONNECTION:TITLE=ID ...] [--ledger PATH]"
    static let discussion = """
        Checks FILE (default syncledger.yaml) as syncledger check does, resolves every custom
        field it names by title to its id in that connection's instance, and appends a
        configApplied event holding the configuration, the file's path, its text and its
        SHA-256 digest. From that event on, the projections decide by this configuration;
        replay uses the one in force at each point. A file whose digest is already in force is
        not recorded again.

        Custom fields are resolved through each connection's API with the credential the
        vault holds; --field gives an id by hand instead (for example when offline).

        Examples:
          syncledger apply
          syncledger apply --field 'jira:Zendesk ticket=customfield_10100'
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value(
            "field", "CONNECTION:TITLE=ID", "The id of a custom field, not asked of the API.",
            repeatable: true),
    ]

    let path: String
    let ledger: String
    let given: [CustomFieldReference: String]

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        path = arguments.positionals.first ?? "syncledger.yaml"
        ledger = arguments.ledgerPath(environment: environment)
        var given: [CustomFieldReference: String] = [:]
        for text in arguments.all("field") {
            guard let colon = text.firstIndex(of: ":"), let equals = text.lastIndex(of: "="),
                colon < equals, text.index(after: equals) < text.endIndex,
                text.index(after: colon) < equals
            else {
                throw UsageError(
                    message: "'--field \(text)' is not CONNECTION:TITLE=ID", command: Self.name)
            }
            let reference = CustomFieldReference(
                connection: String(text[..<colon]),
                name: String(text[text.index(after: colon)..<equals]))
            given[reference] = String(text[text.index(after: equals)...])
        }
        self.given = given
    }

    func run() async throws -> Int32 {
        guard let file = ConfigurationSource.file(path, consequence: " and was not applied")
        else {
            return ExitStatus.failure
        }
        let log = try EventLog.open(at: ledger)
        defer { log.close() }
        if let current = try Self.digestInForce(log), current == file.digest {
            Output.line("\(path) is already in force (digest \(file.digest.prefix(12)))")
            return ExitStatus.success
        }

        var ids = given
        let unknown = file.configuration.customFields.filter { given[$0] == nil }
        if !unknown.isEmpty {
            let access: Connections
            do {
                access = try Connections(ledger: ledger)
            } catch {
                Output.error("\(error)")
                return ExitStatus.failure
            }
            for reference in unknown {
                do {
                    ids[reference] = try await access.resolve(reference, in: file.configuration)
                } catch {
                    Output.error(
                        "\(reference) cannot be resolved: \(error); give --field "
                            + "'\(reference.connection):\(reference.name)=<id>' to name it")
                    return ExitStatus.failure
                }
            }
        }
        let event = try file.appliedEvent(resolving: ids)
        let appended = try log.appendWaiting(AppendBatch([event]))
        Output.line(
            "applied \(path) at event \(appended[0].sequence) (digest \(file.digest.prefix(12)))")
        for (reference, id) in ids.sorted(by: { $0.value < $1.value }) {
            Output.line("  \(reference) is \(id)")
        }
        return ExitStatus.success
    }

    /// The digest of the configuration file in force, when one was applied from a file.
    static func digestInForce(_ log: EventLog) throws -> String? {
        var found: String?
        try log.scan(from: SequenceNumber(UInt64.max), direction: .backward) { result in
            guard let event = try? result.get(), event.kind == .configApplied else {
                return true
            }
            found = event.body["digest"]?.stringValue
            return false
        }
        return found
    }
}
