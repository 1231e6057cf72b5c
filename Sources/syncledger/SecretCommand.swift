import Connectors
import Foundation
import Ledger

/// `syncledger secret`: keeps a shared secret, such as a webhook signing secret, in the vault.
struct SecretCommand: Command {
    static let name = "secret"
    static let summary = "Keep a shared secret (a webhook signing secret) in the vault."
    static let usage = "secret <name> [--ledger PATH] < secret"
    static let discussion = """
        Reads the secret from standard input (one line; never from the command line, so it
        stays out of shell history and process lists) and stores it in the encrypted vault
        under <name>, where a configuration's webhookSecret: vault:<name> finds it.

        Example:
          syncledger secret zendesk-webhook < zendesk-signing-secret.txt
        """
    static let options: [OptionSpec] = [.ledger]

    let ledger: String
    let secretName: String

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        guard let name = arguments.positionals.first else {
            throw UsageError(message: "missing the secret's name", command: Self.name)
        }
        secretName = name
        ledger = arguments.ledgerPath(environment: environment)
    }

    func run() async throws -> Int32 {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(validating: input, as: UTF8.self) else {
            Output.error("the secret on standard input is not UTF-8 text")
            return ExitStatus.failure
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else {
            Output.error("no secret on standard input")
            return ExitStatus.failure
        }
        do {
            try FileManager.default.createDirectory(
                atPath: ledger, withIntermediateDirectories: true)
            let vault = try Vault(
                path: ledger + "/vault.sealed", keyPath: ledger + "/vault.key",
                environment: ProcessInfo.processInfo.environment)
            try vault.store(.secret(secret), for: secretName)
        } catch {
            Output.error("the secret cannot be stored: \(error)")
            return ExitStatus.failure
        }
        Output.line("stored the secret '\(secretName)' in the vault")
        return ExitStatus.success
    }
}
